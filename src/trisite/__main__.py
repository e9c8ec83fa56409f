from trisite.cli import run

run()

from trisite.cli.app import main

main()

"""Programs trisite renders onto the platform's hosts: they use Python's standard library only (the hosts do not
have trisite), and nothing of trisite imports them; render reads their source."""

# Two entry points: `make demo` runs trisite on the reference design, `make test` runs every check.
# Both work on a fresh Debian 12 machine as root (they install what they need).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install system-deps lab-deps lint typecheck layers unit bench clean

# What the lab runs (FRR, keepalived, ucarp, nftables, lldpd, ping, openssl for the BMCs' certificates; with
# --services etcd, HAProxy, PowerDNS, MariaDB Galera, RabbitMQ, Prometheus and Ceph, python3-rados for the Ceph
# bench's writer); installed when we are root, else the demo says why it skips the lab. Debian does not start
# these daemons on install.
LAB_PACKAGES := frr keepalived ucarp nftables lldpd iproute2 iputils-ping openssl openssh-server nmap iperf3 \
	etcd-server etcd-client haproxy pdns-server pdns-backend-bind ceph-mon ceph-mgr ceph-osd ceph-mds ceph-common \
	python3-rados prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-node-exporter prometheus-frr-exporter \
	mariadb-server galera-4 rsync rabbitmq-server prometheus-mysqld-exporter \
	restic wireguard-go wireguard-tools strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins

demo: install lab-deps
	$(BIN)/trisite demo

test: install lint typecheck layers unit

install: $(VENV)/.installed

# python3-venv is not part of a minimal Debian 12; install it when we can (root) and must.
system-deps:
	@if ! $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null; \
	  else echo "python3 lacks venv/ensurepip: install python3-venv" >&2; exit 1; fi; \
	fi

lab-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=$$(for p in $(LAB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,lab]'
	touch $@

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy src

layers:
	$(BIN)/lint-imports

unit:
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/validate_scale.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis build src/*.egg-info

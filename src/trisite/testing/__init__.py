"""What trisite ships for testing drivers: the conformance suites every driver passes (`conformance`) and fakes
at the transport seam (`redfish`: an in-memory BMC behind sushy's real connector; `opnsense`: an OPNsense API
contract served through httpx.MockTransport).

Nothing here imports pytest at import time; `conformance` needs pytest when its suites run (they are pytest
test classes, skipped where a driver declares no capability).
"""

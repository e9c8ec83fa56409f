"""Which continuity controls each row of a failover campaign evidences, for an auditor.

ISO/IEC 27001:2022 Annex A: A.5.29 information security during disruption, A.5.30 ICT readiness for business
continuity, A.8.13 information backup, A.8.14 redundancy of information processing facilities. SecNumCloud
(ANSSI, v3.2) chapter 17, business continuity: its clauses are named here by their subject; check the numbers
against the edition the audit is held on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    id: str
    title: str


ISO_DISRUPTION = Control("ISO 27001 A.5.29", "Information security during disruption")
ISO_READINESS = Control("ISO 27001 A.5.30", "ICT readiness for business continuity")
ISO_BACKUP = Control("ISO 27001 A.8.13", "Information backup")
ISO_REDUNDANCY = Control("ISO 27001 A.8.14", "Redundancy of information processing facilities")
SNC_TESTED = Control("SecNumCloud 17 (tested)", "Business continuity verified, reviewed and evaluated")
SNC_REDUNDANCY = Control("SecNumCloud 17 (redundancy)", "Availability of the means of processing")
SNC_BACKUP = Control("SecNumCloud 17 (backups)", "Backups kept apart and restorable")
ALL = (ISO_DISRUPTION, ISO_READINESS, ISO_BACKUP, ISO_REDUNDANCY, SNC_TESTED, SNC_REDUNDANCY, SNC_BACKUP)


def controls(faults: tuple[str, ...], site_loss: bool) -> tuple[Control, ...]:
    """The controls a row evidences: every tested failover shows ICT readiness and a tested continuity; the
    loss of a redundant part, redundancy; a whole site, also the backups restored elsewhere; a line or an
    operator lost, security kept during the disruption (the policy holds on the backup path)."""
    found = [ISO_READINESS, SNC_TESTED]
    if site_loss:
        found += [ISO_DISRUPTION, ISO_BACKUP, SNC_BACKUP]
    else:
        found += [ISO_REDUNDANCY, SNC_REDUNDANCY]
    if any(f.startswith(("uplink:", "bgp:", "operator:", "man:")) for f in faults) and not site_loss:
        found.append(ISO_DISRUPTION)
    return tuple(sorted(set(found), key=ALL.index))

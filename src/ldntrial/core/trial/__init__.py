"""The trial itself: the drug profile, titration, compounding, metrics, the protocol and its design
and document, the diary, monitoring and visit measures."""

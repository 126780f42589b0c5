"""The pure domain core: every clinical rule and statistic, with no framework, I/O or clock.

Time comes in as an argument; data files are read outside the core (``ldntrial.data``) and
validated here.
"""

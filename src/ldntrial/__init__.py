"""ldntrial: time-limited, honest trials of low-dose naltrexone."""

__version__ = "0.1.0"

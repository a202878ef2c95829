"""The ``lnnet`` command line (one module per sub-command, ``cmd_<name>.py``)."""

"""Staged mode: reading an iteration's records from Kinesis and staging them as a partition.

Takes boundaries from and gives boundaries to its caller; it does not touch the ledger itself.
"""

"""The DynamoDB checkpoint table (provisioning, sizing, IAM) and kiter's iteration ledger.

Never reads or writes the connector's own items in the table: kiter's live under `kiter#`.
"""

"""The embedded local stack (moto server, Spark Thrift Server), its streams and demo traffic.

Knows nothing of the ledger or of rendering; the runner and the CLI use what it starts.
"""

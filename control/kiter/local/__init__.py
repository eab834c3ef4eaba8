"""The embedded local stack: a moto server and a HiveServer2 engine (Spark's Thrift Server or Hive
3.1.3) as services, Pig 0.17 as a local engine, their Java and processes, its streams, data in.

Knows nothing of the ledger or of rendering; the runner and the CLI use what it starts.
"""

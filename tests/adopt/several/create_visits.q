-- The web tier's request log, one Apache combined-format line per record.
CREATE TABLE IF NOT EXISTS visits (
  client STRING,
  ident STRING,
  remote_user STRING,
  stamp STRING,
  request STRING,
  status STRING,
  bytes STRING,
  referrer STRING,
  agent STRING
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
  "input.regex" = "([^ ]*) ([^ ]*) ([^ ]*) \\[([^\\]]*)\\] \"([^\"]*)\" (-|[0-9]*) (-|[0-9]*) \"([^\"]*)\" \"([^\"]*)\""
)
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="VisitLogStream");

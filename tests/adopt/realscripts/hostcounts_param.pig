-- Our cron runner calls: pig -param input=N hostcounts_param.pig
set kinesis.checkpoint.enabled true;
set kinesis.checkpoint.metastore.table.name MyEMRKinesisTable;
set kinesis.checkpoint.logical.name hostcounts;
set kinesis.checkpoint.iteration.no $input;

raw = LOAD 'HostStream' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);
hosts = FOREACH raw GENERATE REGEX_EXTRACT(line, '^(\\S+)', 1) AS host;
grouped = GROUP hosts BY host;
counts = FOREACH grouped GENERATE group AS host, COUNT(hosts) AS hits;
STORE counts INTO 's3://example-bucket/hostcounts/iteration=$input' USING PigStorage();

"""Step log samples shaped like the ones EMR pushes for failed Hive and Pig steps."""

from __future__ import annotations

HIVE_TABLE_NOT_FOUND_STDERR = """\
SLF4J: Class path contains multiple SLF4J bindings.
SLF4J: Found binding in [jar:file:/usr/lib/hive/lib/log4j-slf4j-impl-2.17.1.jar!/org/slf4j/impl/StaticLoggerBinder.class]
SLF4J: Actual binding is of type [org.apache.logging.slf4j.Log4jLoggerFactory]
Hive Session ID = 5b0c3e8e-8f0a-4a4f-9d0e-3c1f1b2a7d11

Logging initialized using configuration in file:/etc/hive/conf.dist/hive-log4j2.properties Async: true
Hive Session ID = 0f6f3e2a-2a5c-4b1e-8f3b-6d2f0b9d8a22
FAILED: SemanticException [Error 10001]: Line 3:14 Table not found 'weblogs'
"""

CONTROLLER_EXIT_1 = """\
2024-05-01T10:00:01.123Z INFO Ensure step 3 jar file command-runner.jar
2024-05-01T10:00:01.124Z INFO StepRunner: Created Runner for step 3
INFO startExec 'hadoop jar /var/lib/aws/emr/step-runner/hadoop-jars/command-runner.jar hive-script --run-hive-script --args -f s3://kiter-scripts/kiter/scripts/hourly/7/2/hourly_counts.hql'
INFO Environment:
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  HADOOP_LOGFILE=syslog
INFO redirectOutput to /mnt/var/log/hadoop/steps/s-2AXXXXXXGAPLF/stdout
INFO redirectError to /mnt/var/log/hadoop/steps/s-2AXXXXXXGAPLF/stderr
INFO ProcessRunner started child process 12345
2024-05-01T10:00:01.300Z INFO HadoopJarStepRunner.Runner: startRun() called for s-2AXXXXXXGAPLF Child Pid: 12345
INFO Synchronously wait child process to complete : hadoop jar /var/lib/aws/emr/step-runner/hadoop-...
INFO waitProcessCompletion ended with exit code 1 : hadoop jar /var/lib/aws/emr/step-runner/hadoop-...
INFO total process run time: 14 seconds
2024-05-01T10:00:16.001Z INFO Step created jobs:
2024-05-01T10:00:16.002Z WARN Step failed with exitCode 1 and took 14 seconds
"""

PIG_ITERATOR_STDERR = """\
2024-05-01 10:00:05,123 [main] INFO  org.apache.pig.Main - Apache Pig version 0.17.0 (r: unknown) compiled Apr 10 2024, 18:01:22
2024-05-01 10:00:05,124 [main] INFO  org.apache.pig.Main - Logging error messages to: /mnt/var/log/pig/pig_1714557605121.log
2024-05-01 10:00:06,500 [main] INFO  org.apache.pig.impl.util.Utils - Default bootup file /home/hadoop/.pigbootup not found
2024-05-01 10:00:40,001 [main] ERROR org.apache.pig.tools.grunt.Grunt - ERROR 1066: Unable to open iterator for alias raw
org.apache.pig.impl.logicalLayer.FrontendException: ERROR 1066: Unable to open iterator for alias raw
\tat org.apache.pig.PigServer.openIterator(PigServer.java:1028)
\tat org.apache.pig.tools.grunt.GruntParser.processDump(GruntParser.java:782)
\tat org.apache.pig.Main.main(Main.java:175)
Caused by: org.apache.pig.PigException: ERROR 1002: Unable to store alias raw
\tat org.apache.pig.PigServer.storeEx(PigServer.java:1127)
\t... 13 more
Caused by: java.io.IOException: Stream AccessLogStream not found (Service: AmazonKinesis; Status Code: 400; Error Code: ResourceNotFoundException)
\tat com.amazon.emr.kinesis.pig.KinesisStreamLoader.setLocation(KinesisStreamLoader.java:88)
\t... 20 more

Details at logfile: /mnt/var/log/pig/pig_1714557605121.log
"""

PIG_PARSE_STDERR = """\
2024-05-01 11:00:05,124 [main] INFO  org.apache.pig.Main - Logging error messages to: /mnt/var/log/pig/pig_1714561205121.log
2024-05-01 11:00:07,010 [main] ERROR org.apache.pig.tools.grunt.Grunt - ERROR 1000: Error during parsing. Encountered " <IDENTIFIER> "LOADD "" at line 1, column 7.
Details at logfile: /mnt/var/log/pig/pig_1714561205121.log
"""

HIVE_TEZ_SYSLOG = """\
2024-05-01 12:01:00,000 INFO [main] org.apache.hadoop.hive.ql.Driver: Executing command(queryId=hadoop_20240501120100_1)
2024-05-01 12:03:10,000 ERROR [main] org.apache.hadoop.hive.ql.exec.Task: Vertex failed, vertexName=Map 1
java.lang.RuntimeException: org.apache.hadoop.hive.ql.metadata.HiveException: Hive Runtime Error while processing row
\tat org.apache.hadoop.hive.ql.exec.tez.MapRecordProcessor.run(MapRecordProcessor.java:298)
Caused by: org.apache.hadoop.hive.ql.metadata.HiveException: Hive Runtime Error while processing row
\tat org.apache.hadoop.hive.ql.exec.MapOperator.process(MapOperator.java:576)
Caused by: com.amazonaws.services.kinesis.model.ExpiredIteratorException: Iterator expired. The iterator was created at time Wed May 01 11:00:00 UTC 2024 (Service: AmazonKinesis; Status Code: 400)
\tat com.amazonaws.http.AmazonHttpClient.handleErrorResponse(AmazonHttpClient.java:1712)
\t... 25 more
"""

HIVE_TEZ_STDERR = """\
Query ID = hadoop_20240501120100_1
Total jobs = 1
Launching Job 1 out of 1
Status: Running (Executing on YARN cluster with App id application_1714550000000_0003)
Status: Failed
FAILED: Execution Error, return code 2 from org.apache.hadoop.hive.ql.exec.tez.TezTask
"""

# -- streaming and jar steps: the step's client log names the application; the tasks' logs are
# under <LogUri>/<cluster-id>/containers/application_<id>/container_<id>/ -----------------------

APPLICATION = "application_1714557600000_0003"
STREAMING_STEP_SYSLOG = """\
2024-05-01 10:00:01,123 INFO org.apache.hadoop.mapreduce.JobSubmitter (main): Submitting tokens for job: job_1714557600000_0003
2024-05-01 10:00:01,456 INFO org.apache.hadoop.yarn.client.api.impl.YarnClientImpl (main): Submitted application application_1714557600000_0003
2024-05-01 10:00:01,501 INFO org.apache.hadoop.mapreduce.Job (main): Running job: job_1714557600000_0003
2024-05-01 10:00:20,000 INFO org.apache.hadoop.mapreduce.Job (main): Task Id : attempt_1714557600000_0003_m_000000_0, Status : FAILED
Error: java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1
	at org.apache.hadoop.streaming.PipeMapRed.waitOutputThreads(PipeMapRed.java:326)
	at org.apache.hadoop.streaming.PipeMapRed.mapRedFinished(PipeMapRed.java:539)
2024-05-01 10:00:40,000 ERROR org.apache.hadoop.streaming.StreamJob (main): Job not successful!
"""
STREAMING_STEP_STDERR = "Streaming Command Failed!\n"
MAPPER_TASK_STDERR = """\
Traceback (most recent call last):
  File "/mnt/yarn/usercache/hadoop/appcache/application_1714557600000_0003/container_1714557600000_0003_01_000002/./status_mapper.py", line 12, in <module>
    status = int(fields[8])
             ^^^^^^^^^^^^^^
ValueError: invalid literal for int() with base 10: '-'
"""
MAPPER_TASK_SYSLOG = """\
2024-05-01 10:00:15,000 INFO [main] org.apache.hadoop.mapred.MapTask: Processing split: s3://kiter-staging/iterations/status/iteration=4/part-00000:0+1234
2024-05-01 10:00:16,000 WARN [main] org.apache.hadoop.mapred.YarnChild: Exception running child : java.lang.RuntimeException: PipeMapRed.waitOutputThreads(): subprocess failed with code 1
	at org.apache.hadoop.streaming.PipeMapRed.waitOutputThreads(PipeMapRed.java:326)
"""
JAR_STEP_SYSLOG = """\
2024-05-01 10:00:01,456 INFO org.apache.hadoop.yarn.client.api.impl.YarnClientImpl (main): Submitted application application_1714557600000_0003
2024-05-01 10:00:01,501 INFO org.apache.hadoop.mapreduce.Job (main): Running job: job_1714557600000_0003
2024-05-01 10:00:40,000 INFO org.apache.hadoop.mapreduce.Job (main): Job job_1714557600000_0003 failed with state FAILED due to: Task failed task_1714557600000_0003_m_000000
"""
JAR_TASK_SYSLOG = """\
2024-05-01 10:00:15,000 INFO [main] org.apache.hadoop.mapred.MapTask: Processing split: s3://kiter-staging/iterations/words/iteration=4/part-00000:0+1234
2024-05-01 10:00:16,000 WARN [main] org.apache.hadoop.mapred.YarnChild: Exception running child : java.lang.NumberFormatException: For input string: "abc"
	at java.lang.NumberFormatException.forInputString(NumberFormatException.java:65)
	at java.lang.Integer.parseInt(Integer.java:580)
	at org.example.WordCount$TokenizerMapper.map(WordCount.java:42)
	at org.apache.hadoop.mapred.MapTask.run(MapTask.java:343)
"""

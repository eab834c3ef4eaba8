-- Cross-account read, keys pasted into the script.
CREATE TABLE clicks (line STRING)
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="ClickStream");
set kinesis.accessKey=AKIAEXAMPLEKEY0001;
set kinesis.secretKey=wJalrEXAMPLESECRET0001;
SELECT COUNT(*) FROM clicks;

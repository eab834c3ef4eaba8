-- Campaign names from DynamoDB; reads no stream at all.
CREATE EXTERNAL TABLE IF NOT EXISTS campaigns (id STRING, title STRING)
STORED BY 'org.apache.hadoop.hive.dynamodb.DynamoDBStorageHandler'
TBLPROPERTIES (
  "dynamodb.table.name" = "Campaigns",
  "dynamodb.column.mapping" = "id:Id,title:Title"
);

SELECT title FROM campaigns ORDER BY title;

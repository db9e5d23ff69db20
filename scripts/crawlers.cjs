// serverless.yml: `resources: [ {…the stack…}, ${file(scripts/crawlers.cjs)} ]`
// One Glue crawler per dataset contract (datasets/*.yaml) over its Bronze prefix, writing one
// table named after the dataset into the Bronze database, and the one role they share. osls
// merges the returned { Resources, Outputs } into the hand-written ones (mergeArrays).
//
// The table name is what schema-drift maps to a dataset (identity: no BRONZE_TABLE_PREFIX): a
// crawler names the table of its include path after the path's last folder, so that folder
// must be the dataset name. A contract that breaks this fails the packaging here.
const { contractDocs, pascal } = require('./contract-docs.cjs');

/** The log group every crawler of the account writes to (one stream per crawler), for Fn::Sub. */
const CRAWLER_LOG_GROUP = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws-glue/crawlers`;

/** [{ name, prefix, file }] of every contract, sorted by name. */
function contracts() {
  return contractDocs().map(({ file, name, doc }) => {
    const prefix = doc?.bronze?.prefix;
    if (typeof prefix !== 'string' || !prefix.endsWith('/'))
      throw new Error(`datasets/${file}: bronze.prefix must end in "/" (got ${JSON.stringify(prefix)})`);
    const folder = prefix.split('/').filter(Boolean).pop();
    if (folder !== name)
      throw new Error(
        `datasets/${file}: the Bronze crawler names the table after the last folder of bronze.prefix ` +
          `("${folder}"), and schema-drift expects the table to be named after the dataset ("${name}")`,
      );
    return { name, prefix, file };
  });
}

/**
 * One table per include path: compatible schemas are combined (a new column in some files does
 * not split the prefix into several tables). No `CrawlerOutput.Tables.AddOrUpdateBehavior:
 * MergeNewColumns`: it keeps the old type of existing columns and never removes one, which
 * would hide from schema-drift exactly the changes it exists to catch (type changes, removed
 * columns). No partition index: nobody queries Bronze through the catalog, and it spares the
 * role glue:CreatePartitionIndex.
 */
const CONFIGURATION =
  '{"Version":1.0,"Grouping":{"TableGroupingPolicy":"CombineCompatibleSchemas"},"CreatePartitionIndex":false}';

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const database = await resolveVariable('param:bronzeDatabase');
  const schedule = await resolveVariable('param:bronzeCrawlerSchedule');
  const datasets = contracts();
  if (datasets.length === 0) throw new Error('datasets/ holds no contract: no Bronze crawler to create');

  const crawlerName = (d) => `${service}-${stage}-bronze-${d.name}`;
  const glueArn = (suffix) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:${suffix}`,
  });
  const Resources = {};
  const Outputs = {};

  Resources.BronzeCrawlerRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `Bronze crawlers (${service} ${stage})`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      // Not the AWS managed policy AWSGlueServiceRole (glue:*, s3 and ec2 on "*"): the crawler
      // only reads the dataset prefixes and writes the dataset tables of the Bronze database.
      Policies: [
        {
          PolicyName: 'bronze-crawler',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: datasets.map((d) => ({ 'Fn::Sub': `\${BronzeBucket.Arn}/${d.prefix}*` })),
              },
              // Bronze objects are SSE-KMS with the lake key: decrypt them through S3 only.
              {
                Effect: 'Allow',
                Action: 'kms:Decrypt',
                Resource: { 'Fn::GetAtt': ['LakeKey', 'Arn'] },
                Condition: {
                  StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } },
                },
              },
              {
                Effect: 'Allow',
                Action: ['s3:ListBucket', 's3:GetBucketLocation'],
                Resource: { 'Fn::GetAtt': ['BronzeBucket', 'Arn'] },
              },
              // The tables of the datasets only: a crawl that would create any other table (a
              // prefix split into several tables) is refused instead of drifting unnoticed.
              {
                Effect: 'Allow',
                Action: [
                  'glue:GetDatabase',
                  'glue:GetTable',
                  'glue:GetTables',
                  'glue:CreateTable',
                  'glue:UpdateTable',
                  'glue:GetPartition',
                  'glue:GetPartitions',
                  'glue:BatchGetPartition',
                  'glue:CreatePartition',
                  'glue:BatchCreatePartition',
                  'glue:UpdatePartition',
                  'glue:BatchUpdatePartition',
                ],
                Resource: [
                  glueArn('catalog'),
                  glueArn(`database/${database}`),
                  ...datasets.map((d) => glueArn(`table/${database}/${d.name}`)),
                ],
              },
              // Crawlers log to the account's /aws-glue/crawlers group, one stream per crawler.
              {
                Effect: 'Allow',
                Action: 'logs:CreateLogGroup',
                Resource: { 'Fn::Sub': CRAWLER_LOG_GROUP },
              },
              {
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: datasets.map((d) => ({
                  'Fn::Sub': `${CRAWLER_LOG_GROUP}:log-stream:${crawlerName(d)}`,
                })),
              },
            ],
          },
        },
      ],
    },
  };

  for (const d of datasets) {
    const id = `BronzeCrawler${pascal(d.name)}`;
    if (Resources[id]) throw new Error(`datasets/${d.file}: logical id ${id} is taken by another dataset`);
    Resources[id] = {
      Type: 'AWS::Glue::Crawler',
      Properties: {
        Name: crawlerName(d),
        Description: `Bronze table ${d.name} from s3://<bronze>/${d.prefix} (datasets/${d.file})`,
        Role: { 'Fn::GetAtt': ['BronzeCrawlerRole', 'Arn'] },
        DatabaseName: { Ref: 'BronzeDatabase' },
        Targets: { S3Targets: [{ Path: { 'Fn::Sub': `s3://\${BronzeBucket}/${d.prefix}` } }] },
        Schedule: { ScheduleExpression: schedule },
        // Update the table as the data is (new, removed and retyped columns: a new table version
        // that schema-drift compares); a folder that disappeared only logs.
        SchemaChangePolicy: { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' },
        RecrawlPolicy: { RecrawlBehavior: 'CRAWL_EVERYTHING' },
        Configuration: CONFIGURATION,
      },
    };
    Outputs[`${id}Name`] = { Value: { Ref: id } };
  }
  Outputs.BronzeCrawlerNames = {
    Description: 'The Bronze crawlers, comma-separated',
    Value: { 'Fn::Join': [',', datasets.map((d) => ({ Ref: `BronzeCrawler${pascal(d.name)}` }))] },
  };
  return { Resources, Outputs };
};

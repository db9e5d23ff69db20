// serverless.yml: `resources: [ …, ${file(scripts/lake-formation.cjs)} ]`
// The Silver and Gold Glue databases, the lake locations registered with Lake Formation (with a
// data-access role of their own) and the analyst role's grants, generated from the dataset
// contracts: SELECT on every Silver table except its columns flagged `pii: true`, and on the
// Gold tables whose SQL names no pii column. osls merges { Resources, Outputs } into the stack.
//
// Lake Formation grants on a table need the table: Silver tables are created by the first
// upsert of their dataset (Hudi's Glue sync), so the table grants carry the condition
// LakeFormationTableGrants (stage parameter lakeFormationTableGrants, see docs/deploy.md).
const { contractDocs, pascal } = require('./contract-docs.cjs');

/** Whether `sql` names `column` as a word (outside of longer identifiers). */
const mentions = (sql, column) => new RegExp(`(^|[^A-Za-z0-9_])${column}([^A-Za-z0-9_]|$)`, 'i').test(sql);

/** [{ name, file, pii: [column], gold: [{ name, sql }] }] of every contract, sorted by name. */
function contracts() {
  return contractDocs().map(({ file, name, doc }) => ({
    name,
    file,
    pii: (doc.columns ?? []).filter((c) => c.pii === true).map((c) => c.name),
    gold: (doc.gold ?? []).map((g) => ({ name: g.name, sql: g.sql ?? '' })),
  }));
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const silverDatabase = await resolveVariable('param:silverDatabase');
  const goldDatabase = await resolveVariable('param:goldDatabase');
  const datasets = contracts();
  const catalog = { Ref: 'AWS::AccountId' };
  const analyst = { DataLakePrincipalIdentifier: { 'Fn::GetAtt': ['AnalystRole', 'Arn'] } };
  const Resources = {};
  const Outputs = {};

  for (const [id, name, zone] of [
    ['SilverGlueDatabase', silverDatabase, 'Silver'],
    ['GoldGlueDatabase', goldDatabase, 'Gold'],
  ]) {
    Resources[id] = {
      Type: 'AWS::Glue::Database',
      Properties: {
        CatalogId: catalog,
        DatabaseInput: {
          Name: name,
          Description: `${zone} tables of ${service} ${stage}`,
          LocationUri: { 'Fn::Sub': `s3://\${${zone}Bucket}/` },
        },
      },
    };
  }

  // Lake Formation reads the registered locations with this role (not its service-linked role,
  // which the lake key's policy would have to name before it exists).
  Resources.LakeFormationDataAccessRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `Lake Formation access to the Silver and Gold buckets (${service} ${stage})`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lakeformation.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'lake-locations',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: [{ 'Fn::Sub': `\${SilverBucket.Arn}/*` }, { 'Fn::Sub': `\${GoldBucket.Arn}/*` }],
              },
              {
                Effect: 'Allow',
                Action: 's3:ListBucket',
                Resource: [
                  { 'Fn::GetAtt': ['SilverBucket', 'Arn'] },
                  { 'Fn::GetAtt': ['GoldBucket', 'Arn'] },
                ],
              },
              {
                Effect: 'Allow',
                Action: 'kms:Decrypt',
                Resource: { 'Fn::GetAtt': ['LakeKey', 'Arn'] },
                Condition: {
                  StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } },
                },
              },
            ],
          },
        },
      ],
    },
  };
  for (const zone of ['Silver', 'Gold']) {
    Resources[`${zone}LakeLocation`] = {
      Type: 'AWS::LakeFormation::Resource',
      Properties: {
        ResourceArn: { 'Fn::GetAtt': [`${zone}Bucket`, 'Arn'] },
        UseServiceLinkedRole: false,
        RoleArn: { 'Fn::GetAtt': ['LakeFormationDataAccessRole', 'Arn'] },
      },
    };
  }

  // The analysts' role: whoever may assume it in the account (an SSO permission set, a group)
  // reads the lake through Lake Formation; it has no S3 access of its own.
  Resources.AnalystRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: `${service}-${stage}-analyst`,
      Description: `Analysts of ${service} ${stage}: Lake Formation SELECT on Silver (no pii columns) and Gold`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root` } },
            Action: 'sts:AssumeRole',
          },
        ],
      },
    },
  };
  for (const [id, database] of [
    ['SilverDatabase', 'SilverGlueDatabase'],
    ['GoldDatabase', 'GoldGlueDatabase'],
  ]) {
    Resources[`AnalystDescribe${id}`] = {
      Type: 'AWS::LakeFormation::PrincipalPermissions',
      Properties: {
        Principal: analyst,
        Resource: { Database: { CatalogId: catalog, Name: { Ref: database } } },
        Permissions: ['DESCRIBE'],
        PermissionsWithGrantOption: [],
      },
    };
  }

  const ungranted = [];
  for (const d of datasets) {
    const id = `AnalystSelectSilver${pascal(d.name)}`;
    if (Resources[id]) throw new Error(`datasets/${d.file}: logical id ${id} is taken by another dataset`);
    Resources[id] = {
      Type: 'AWS::LakeFormation::PrincipalPermissions',
      Condition: 'LakeFormationTableGrants',
      DependsOn: ['SilverLakeLocation'],
      Properties: {
        Principal: analyst,
        Resource: {
          TableWithColumns: {
            CatalogId: catalog,
            DatabaseName: { Ref: 'SilverGlueDatabase' },
            Name: d.name,
            ColumnWildcard: { ExcludedColumnNames: d.pii },
          },
        },
        Permissions: ['SELECT'],
        PermissionsWithGrantOption: [],
      },
    };
    for (const g of d.gold) {
      if (d.pii.some((c) => mentions(g.sql, c))) {
        ungranted.push(g.name);
        continue;
      }
      Resources[`AnalystSelectGold${pascal(g.name)}`] = {
        Type: 'AWS::LakeFormation::PrincipalPermissions',
        Condition: 'LakeFormationTableGrants',
        DependsOn: ['GoldLakeLocation'],
        Properties: {
          Principal: analyst,
          Resource: {
            Table: { CatalogId: catalog, DatabaseName: { Ref: 'GoldGlueDatabase' }, Name: g.name },
          },
          Permissions: ['SELECT', 'DESCRIBE'],
          PermissionsWithGrantOption: [],
        },
      };
    }
  }
  Outputs.AnalystRoleArn = { Value: { 'Fn::GetAtt': ['AnalystRole', 'Arn'] } };
  Outputs.GoldTablesNotGrantedForPii = {
    Description: 'Gold tables whose SQL names a pii column: not granted to the analyst role',
    Value: ungranted.join(',') || 'none',
  };
  return { Resources, Outputs };
};

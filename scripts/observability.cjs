// serverless.yml: `resources: [ …, ${file(scripts/observability.cjs)} ]`
// What pages a human, and where to look first: the alerts topic, the alarms on it, the stage's
// cost budget, and one CloudWatch dashboard. Generated (not hand-written YAML) because the
// alarm per failed-event queue and the dashboard widgets are the same shape many times.
const QUEUES = [
  'ObjectLandedUndeliveredQueue',
  'ObjectLandedFailedQueue',
  'LoadEventsUndeliveredQueue',
  'LoadEventsFailedQueue',
  'SchemaDriftUndeliveredQueue',
  'SchemaDriftFailedQueue',
  'StreamUpsertFailedQueue',
];
/** The metrics namespace of the functions (Powertools Metrics in functions/observability.ts). */
const NAMESPACE = 'lakeplane';

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const service = await resolveVariable('self:service');
  const budgetUsd = Number(await resolveVariable('param:monthlyBudgetUsd'));
  const iteratorAgeMs = Number(await resolveVariable('param:iteratorAgeAlarmMs'));
  if (!(budgetUsd > 0)) throw new Error(`params.${stage}.monthlyBudgetUsd must be a positive number`);
  if (!(iteratorAgeMs > 0)) throw new Error(`params.${stage}.iteratorAgeAlarmMs must be a positive number`);
  const streamFunction = `${service}-${stage}-stream-upsert`;
  const alarmActions = [{ Ref: 'AlertsTopic' }];
  const Resources = {};

  // No KMS on this topic: AWS Budgets cannot publish to a topic encrypted with the AWS managed
  // key, and the messages carry alarm and budget names only, never data.
  Resources.AlertsTopic = {
    Type: 'AWS::SNS::Topic',
    Properties: { TopicName: `${service}-${stage}-alerts`, DisplayName: `lakeplane ${stage} alerts` },
  };
  Resources.AlertsTopicPolicy = {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [{ Ref: 'AlertsTopic' }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'BudgetsAndAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: ['budgets.amazonaws.com', 'cloudwatch.amazonaws.com'] },
            Action: 'sns:Publish',
            Resource: { Ref: 'AlertsTopic' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    },
  };

  // Cost of everything tagged stage=<stage> (provider.stackTags; activate the tag as a cost
  // allocation tag once per account): 80% spent, or 100% forecast, alerts.
  Resources.StageBudget = {
    Type: 'AWS::Budgets::Budget',
    Properties: {
      Budget: {
        BudgetName: `${service}-${stage}-monthly`,
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: budgetUsd, Unit: 'USD' },
        CostFilters: { TagKeyValue: [`user:stage$${stage}`] },
      },
      NotificationsWithSubscribers: [
        ['ACTUAL', 80],
        ['FORECASTED', 100],
      ].map(([type, threshold]) => ({
        Notification: {
          NotificationType: type,
          ComparisonOperator: 'GREATER_THAN',
          Threshold: threshold,
          ThresholdType: 'PERCENTAGE',
        },
        Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: 'AlertsTopic' } }],
      })),
    },
  };

  const alarm = (id, description, props) => {
    Resources[id] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${service}-${stage}-${id.replace(/Alarm$/, '').replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`,
        AlarmDescription: description,
        ActionsEnabled: true,
        AlarmActions: alarmActions,
        OKActions: alarmActions,
        TreatMissingData: 'notBreaching',
        ...props,
      },
    };
  };
  alarm(
    'StreamIteratorAgeAlarm',
    `stream-upsert is more than ${iteratorAgeMs / 1000} s behind the stream; records older than 1 h are given up to the on-failure queue`,
    {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: streamFunction }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      Threshold: iteratorAgeMs,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  );
  for (const [id, metric, what] of [
    ['LoadFailuresAlarm', 'ExecutionsFailed', 'failed'],
    ['LoadTimeoutsAlarm', 'ExecutionsTimedOut', 'timed out'],
  ]) {
    alarm(id, `load-dataset executions ${what}: \`lakeplane --stage ${stage} loads --status FAILED\``, {
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'LoadDatasetStateMachine' } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  }
  for (const queue of QUEUES) {
    alarm(`${queue.replace(/Queue$/, '')}DepthAlarm`, `events wait in ${queue}: look at them, then redrive`, {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  }

  const search = (metric, stat) =>
    `SEARCH('{${NAMESPACE},dataset,service} MetricName="${metric}"', '${stat}', 300)`;
  const widget = (title, y, props) => ({
    type: 'metric',
    x: (y % 2) * 12,
    y: Math.floor(y / 2) * 6,
    width: 12,
    height: 6,
    properties: { title, region: `\${AWS::Region}`, view: 'timeSeries', ...props },
  });
  const expression = (expr, id) => [{ expression: expr, id, period: 300 }];
  const widgets = [
    widget('Stream iterator age (ms)', 0, {
      metrics: [['AWS/Lambda', 'IteratorAge', 'FunctionName', streamFunction, { stat: 'Maximum' }]],
      annotations: { horizontal: [{ label: 'alarm', value: iteratorAgeMs }] },
    }),
    widget('Load durations (ms, p50 / p95 by dataset)', 1, {
      metrics: [
        expression(search('LoadDuration', 'p50'), 'p50'),
        expression(search('LoadDuration', 'p95'), 'p95'),
      ],
    }),
    widget('Loads succeeded / failed / timed out', 2, {
      stat: 'Sum',
      metrics: ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'].map((m) => [
        'AWS/States',
        m,
        'StateMachineArn',
        `\${LoadDatasetStateMachine}`,
      ]),
    }),
    widget('Quality verdicts', 3, {
      metrics: ['QualityGatePassed', 'QualityGateWarned', 'QualityGateFailed', 'QualityResultUnreadable'].map(
        (m, i) => expression(search(m, 'Sum'), `q${i}`),
      ),
    }),
    widget('Schema drift', 4, {
      metrics: ['SchemaDriftDetected', 'SchemaDriftBreaking', 'DatasetsPausedForDrift'].map((m, i) =>
        expression(`SEARCH('{${NAMESPACE},service} MetricName="${m}"', 'Sum', 300)`, `d${i}`),
      ),
    }),
    widget('Failed-event queues (messages waiting)', 5, {
      stat: 'Maximum',
      metrics: QUEUES.map((q) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        `\${${q}.QueueName}`,
      ]),
    }),
  ];
  Resources.OperationsDashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: `${service}-${stage}`,
      DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
    },
  };
  return {
    Resources,
    Outputs: {
      AlertsTopicArn: { Value: { Ref: 'AlertsTopic' } },
      DashboardName: { Value: { Ref: 'OperationsDashboard' } },
    },
  };
};

import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  InvalidEventPatternError,
  testEventPattern,
} from '../../local/eventbus/pattern.js';

// Examples come from the Amazon EventBridge User Guide ("Creating event patterns", "Comparison operators
// for use in event patterns", "Arrays in event patterns", "Matching null values and empty strings"), from
// the S3 User Guide ("EventBridge event message structure") and from the Event Ruler README that
// EventBridge's pattern language is documented from.

/** EC2 state-change event of "Creating event patterns". */
const ec2Terminated = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

/** The event the content-filtering examples are written against. */
const ec2Running = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** Auto Scaling event of "Matching null values and empty strings". */
const autoscalingLaunch = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

/** Macie alert (truncated) of "Example events and event patterns". */
const macieAlert = {
  version: '0',
  id: '3e355723-fca9-4de3-9fd7-154c289d6b59',
  'detail-type': 'Macie Alert',
  source: 'aws.macie',
  account: '123456789012',
  time: '2017-04-24T22:28:49Z',
  region: 'us-east-1',
  resources: [
    'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id',
    'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id',
  ],
  detail: {
    'notification-type': 'ALERT_CREATED',
    name: 'Scanning bucket policies',
    tags: ['Custom_Alert', 'Insider'],
    url: 'https://lb00.us-east-1.macie.aws.amazon.com/111122223333/posts/alert_id',
    'alert-arn': 'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_',
    'risk-score': 80,
    trigger: {
      'rule-arn': 'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id',
      'alert-type': 'basic',
      'created-at': '2017-01-02 19:54:00.644000',
      description: 'Alerting on failed enumeration of large number of bucket policies',
      risk: 8,
    },
    'created-at': '2017-04-18T00:21:12.059000',
  },
};

/** S3 "Object Created" as EventBridge delivers it (S3 User Guide, EventBridge event message structure). */
function s3ObjectCreated(bucket: string, key: string, detailType = 'Object Created') {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '111122223333',
    time: '2021-11-12T00:00:00Z',
    region: 'ca-central-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key,
        size: 5,
        etag: 'b1946ac92492d2347c6235b4d2611184',
        'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
        sequencer: '617f08299329d189',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };
}

/** `{ detail: { <field>: value } }`, for operator examples that only look at one detail field. */
function withDetail(field: string, value: unknown) {
  return { ...ec2Running, detail: { ...ec2Running.detail, [field]: value } };
}

/** The InvalidEventPatternError a pattern throws (fails the test if it compiles). */
function invalid(pattern: unknown): InvalidEventPatternError {
  try {
    compileEventPattern(pattern);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEventPatternError);
    return err as InvalidEventPatternError;
  }
  throw new Error(`pattern compiled: ${JSON.stringify(pattern)}`);
}

describe('Creating event patterns', () => {
  const terminated = {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  };

  it('matches EC2 instance-termination events', () => {
    expect(testEventPattern(terminated, ec2Terminated)).toBe(true);
  });

  it('does not match other EC2 states', () => {
    const stopped = { ...ec2Terminated, detail: { ...ec2Terminated.detail, state: 'stopped' } };
    expect(testEventPattern(terminated, stopped)).toBe(false);
  });

  it('requires every field of the pattern to be in the event, with the same nesting', () => {
    const flat = { ...ec2Terminated, state: 'terminated', detail: { 'instance-id': 'i-1' } };
    expect(testEventPattern(terminated, flat)).toBe(false);
  });

  it('matches any of the values in a field array ("aws.ec2" or "aws.fargate")', () => {
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };
    expect(testEventPattern(pattern, { ...ec2Terminated, source: 'aws.fargate' })).toBe(true);
    expect(testEventPattern(pattern, ec2Terminated)).toBe(true);
    expect(testEventPattern(pattern, { ...ec2Terminated, source: 'aws.s3' })).toBe(false);
  });

  it('compares strings character by character, without case folding', () => {
    expect(testEventPattern({ source: ['AWS.EC2'] }, ec2Terminated)).toBe(false);
  });

  it('field matching: responseElements is null (Auto Scaling launch)', () => {
    const pattern = {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful'],
      detail: { responseElements: [null] },
    };
    expect(testEventPattern(pattern, autoscalingLaunch)).toBe(true);
  });

  it('value matching: Macie alert with risk-score 80 and trigger risk 8', () => {
    const pattern = {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    };
    expect(testEventPattern(pattern, macieAlert)).toBe(true);
    const lowRisk = {
      ...macieAlert,
      detail: { ...macieAlert.detail, trigger: { ...macieAlert.detail.trigger, risk: 7 } },
    };
    expect(testEventPattern(pattern, lowRisk)).toBe(false);
  });

  it('matches JSON types exactly: a number is not its string, true is not "true"', () => {
    expect(testEventPattern({ detail: { 'risk-score': ['80'] } }, macieAlert)).toBe(false);
    expect(testEventPattern({ detail: { n: [5] } }, { detail: { n: '5' } })).toBe(false);
    expect(testEventPattern({ detail: { flag: [true] } }, { detail: { flag: true } })).toBe(true);
    expect(testEventPattern({ detail: { flag: [true] } }, { detail: { flag: 'true' } })).toBe(false);
    expect(testEventPattern({ detail: { flag: [false] } }, { detail: { flag: 0 } })).toBe(false);
  });

  it('uses only the last of two identical keys (the JSON text of the documented note)', () => {
    const pattern = JSON.parse(
      '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    ) as unknown;
    expect(testEventPattern(pattern, { detail: { location: 'eu-west' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { location: 'us-east' } })).toBe(false);
  });

  it('joins field names with "." so a dotted name and a nested object are the same path', () => {
    const nested = { detail: { state: { status: ['running'] } } };
    const dotted = { detail: { 'state.status': ['running'] } };
    const nestedEvent = { detail: { state: { status: 'running' } } };
    const dottedEvent = { detail: { 'state.status': 'running' } };
    for (const pattern of [nested, dotted]) {
      expect(testEventPattern(pattern, nestedEvent)).toBe(true);
      expect(testEventPattern(pattern, dottedEvent)).toBe(true);
      expect(testEventPattern(pattern, { detail: { state: { status: 'stopped' } } })).toBe(false);
    }
  });
});

describe('Matching null values and empty strings', () => {
  it('matches an empty string with [""]', () => {
    expect(testEventPattern({ detail: { eventVersion: [''] } }, autoscalingLaunch)).toBe(true);
  });

  it('matches null with [null]', () => {
    expect(testEventPattern({ detail: { responseElements: [null] } }, autoscalingLaunch)).toBe(true);
  });

  it('does not treat null and empty strings as interchangeable', () => {
    expect(testEventPattern({ detail: { responseElements: [''] } }, autoscalingLaunch)).toBe(false);
    expect(testEventPattern({ detail: { eventVersion: [null] } }, autoscalingLaunch)).toBe(false);
  });

  it('does not match [null] against a missing field', () => {
    expect(testEventPattern({ detail: { missing: [null] } }, autoscalingLaunch)).toBe(false);
  });
});

describe('Arrays in event patterns', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it('matches when the pattern array and the event array intersect', () => {
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(testEventPattern(pattern, event)).toBe(true);
  });

  it('does not match when the arrays do not intersect', () => {
    expect(
      testEventPattern(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-0'] }),
    ).toBe(false);
  });

  it('does not match an empty event array, which has no value', () => {
    expect(testEventPattern(pattern, { resources: [] })).toBe(false);
  });

  it('applies operators to each element of an event array (and of nested arrays)', () => {
    expect(testEventPattern({ detail: { tags: [{ prefix: 'Ins' }] } }, macieAlert)).toBe(true);
    expect(
      testEventPattern({ detail: { n: [{ numeric: ['>', 10] }] } }, { detail: { n: [1, [2, [30]]] } }),
    ).toBe(true);
  });

  it('matches a nested pattern against each object of an event array ("employees" example)', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(testEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(testEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
  });

  it('never matches two fields from different elements of the same array', () => {
    const event = {
      employees: [
        [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
        [{ firstName: 'Peter', lastName: 'Jones' }],
      ],
    };
    expect(testEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(testEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });
});

describe('Comparison operators: prefix and suffix', () => {
  it('prefix: time starts with "2017-10-02"', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(testEventPattern(pattern, { ...ec2Running, time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(testEventPattern(pattern, { ...ec2Running, time: '2017-10-03T18:43:48Z' })).toBe(false);
  });

  it('prefix with equals-ignore-case: service starts with "EventB" in any case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(testEventPattern(pattern, { detail: { service: 'EventBridge' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { service: 'eventb' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { service: 'SNS' } })).toBe(false);
  });

  it('suffix: FileName ends with ".png"', () => {
    const pattern = { FileName: [{ suffix: '.png' }] };
    expect(testEventPattern(pattern, { FileName: 'image.png' })).toBe(true);
    expect(testEventPattern(pattern, { FileName: 'image.PNG' })).toBe(false);
    expect(testEventPattern(pattern, { FileName: 'image.png.txt' })).toBe(false);
  });

  it('suffix with equals-ignore-case: FileName ends with ".png" in any case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(testEventPattern(pattern, { detail: { FileName: 'image.PNG' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { FileName: 'image.Png' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { FileName: 'image.jpg' } })).toBe(false);
  });

  it('prefix and suffix only match string values', () => {
    expect(testEventPattern({ detail: { n: [{ prefix: '12' }] } }, { detail: { n: 123 } })).toBe(false);
    expect(testEventPattern({ detail: { n: [{ suffix: 'e' }] } }, { detail: { n: true } })).toBe(false);
  });
});

describe('Comparison operators: anything-but', () => {
  it('anything-but a string: state is not "initializing"', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', 'initializing'))).toBe(false);
  });

  it('anything-but a number: x-limit is not 123', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('x-limit', 123))).toBe(false);
  });

  it('anything-but a list of strings: state is neither "stopped" nor "overloaded"', () => {
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', 'stopped'))).toBe(false);
    expect(testEventPattern(pattern, withDetail('state', 'overloaded'))).toBe(false);
  });

  it('anything-but a list of numbers: x-limit is not 100, 200 or 300', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('x-limit', 200))).toBe(false);
  });

  it('anything-but prefix: state does not start with "init"', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', 'initializing'))).toBe(false);
  });

  it('anything-but suffix: FileName does not end with ".txt"', () => {
    const pattern = { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } };
    expect(testEventPattern(pattern, { detail: { FileName: 'notes.png' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { FileName: 'notes.txt' } })).toBe(false);
  });

  it('anything-but equals-ignore-case: state is not "Stopped" in any case', () => {
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'Stopped' } }] } };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', 'STOPPED'))).toBe(false);
    expect(testEventPattern(pattern, withDetail('state', 'stopped'))).toBe(false);
  });

  it('anything-but equals-ignore-case list: state is neither "Stopped" nor "OverLoaded" in any case', () => {
    const pattern = {
      detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
    };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', 'overloaded'))).toBe(false);
    expect(testEventPattern(pattern, withDetail('state', 'STOPPED'))).toBe(false);
  });

  it('anything-but wildcard: FilePath does not include "/lib/"', () => {
    const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
    expect(testEventPattern(pattern, { detail: { FilePath: '/usr/bin/tool' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { FilePath: '/usr/lib/tool' } })).toBe(false);
  });

  it('anything-but wildcard list: FilePath includes neither "/lib/" nor "/bin/"', () => {
    const pattern = { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } };
    expect(testEventPattern(pattern, { detail: { FilePath: '/usr/share/tool' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { FilePath: '/usr/bin/tool' } })).toBe(false);
    expect(testEventPattern(pattern, { detail: { FilePath: '/usr/lib/tool' } })).toBe(false);
  });

  it('anything-but matches values of other types, but never a missing field', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(testEventPattern(pattern, withDetail('state', 42))).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', null))).toBe(true);
    expect(testEventPattern(pattern, { detail: { 'instance-id': 'i-1' } })).toBe(false);
    expect(testEventPattern(pattern, withDetail('state', []))).toBe(false);
  });

  it('anything-but on an event array matches when any element is not excluded', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'stopped' }] } };
    expect(testEventPattern(pattern, withDetail('state', ['stopped', 'running']))).toBe(true);
    expect(testEventPattern(pattern, withDetail('state', ['stopped', 'stopped']))).toBe(false);
  });
});

describe('Comparison operators: numeric', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches when every numeric condition holds (c-count 5, d-count 3, x-limit 301.8)', () => {
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
  });

  it('respects open and closed range bounds', () => {
    expect(testEventPattern(pattern, withDetail('c-count', 0))).toBe(false);
    expect(testEventPattern(pattern, withDetail('c-count', 0.5))).toBe(true);
    expect(testEventPattern(pattern, withDetail('c-count', 5.000001))).toBe(false);
    expect(testEventPattern(pattern, withDetail('d-count', 10))).toBe(false);
    expect(testEventPattern(pattern, withDetail('x-limit', 301.9))).toBe(false);
  });

  it('matches the Price examples: = 100, and > 10 and <= 20', () => {
    const equals = { Price: [{ numeric: ['=', 100] }] };
    const range = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
    expect(testEventPattern(equals, { Price: 100 })).toBe(true);
    expect(testEventPattern(equals, { Price: 100.5 })).toBe(false);
    expect(testEventPattern(range, { Price: 20 })).toBe(true);
    expect(testEventPattern(range, { Price: 10 })).toBe(false);
    expect(testEventPattern({ Price: [{ numeric: ['>=', 10, '<', 20] }] }, { Price: 10 })).toBe(true);
  });

  it('only matches JSON numbers, not numeric strings', () => {
    expect(testEventPattern(pattern, withDetail('c-count', '5'))).toBe(false);
    expect(testEventPattern({ n: [{ numeric: ['>=', 0] }] }, { n: null })).toBe(false);
  });

  it('compares to six decimal places and only within -5.0e9..+5.0e9', () => {
    const eq = { n: [{ numeric: ['=', 1.0000001] }] };
    expect(testEventPattern(eq, { n: 1.0000002 })).toBe(true);
    expect(testEventPattern(eq, { n: 1.000002 })).toBe(false);
    expect(testEventPattern({ n: [{ numeric: ['>', 0] }] }, { n: 0.0000001 })).toBe(false);
    expect(testEventPattern({ n: [{ numeric: ['>', 0] }] }, { n: 6e9 })).toBe(false);
    expect(testEventPattern({ n: [{ numeric: ['>=', 5e9] }] }, { n: 5e9 })).toBe(true);
  });
});

describe('Comparison operators: IP address (cidr)', () => {
  const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

  it('matches IPv4 addresses in 10.0.0.0/24', () => {
    expect(testEventPattern(pattern, { detail: { sourceIPAddress: '10.0.0.0' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { sourceIPAddress: '10.0.1.1' } })).toBe(false);
    expect(testEventPattern(pattern, { detail: { sourceIPAddress: 'not-an-ip' } })).toBe(false);
  });

  it('matches IPv6 addresses', () => {
    const v6 = { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } };
    expect(testEventPattern(v6, { detail: { sourceIPAddress: '2001:db8::1' } })).toBe(true);
    expect(testEventPattern(v6, { detail: { sourceIPAddress: '2001:0db8:ffff:0:0:0:0:1' } })).toBe(true);
    expect(testEventPattern(v6, { detail: { sourceIPAddress: '2001:db9::1' } })).toBe(false);
    expect(testEventPattern(v6, { detail: { sourceIPAddress: '10.0.0.1' } })).toBe(false);
  });

  it('is part of the complex Ruler example with source-ip in 10.0.0.0/8', () => {
    const complex = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(testEventPattern(complex, ec2Running)).toBe(true);
    expect(testEventPattern(complex, withDetail('source-ip', '11.0.0.1'))).toBe(false);
  });
});

describe('Comparison operators: exists', () => {
  it('exists true: matches an event that has detail.state', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    const event = {
      version: '0',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2015-11-11T21:29:54Z',
      region: 'us-east-1',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
      detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
    };
    expect(testEventPattern(pattern, event)).toBe(true);
  });

  it('exists true: does not match an event without detail.state', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    const event = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { 'c-count': { c1: 100 } },
    };
    expect(testEventPattern(pattern, event)).toBe(false);
  });

  it('exists false: matches an event without detail.c-count', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const event = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    expect(testEventPattern(pattern, event)).toBe(true);
    expect(testEventPattern(pattern, ec2Running)).toBe(false);
  });

  it('exists false: also matches when c-count is not a leaf node (exists only works on leaves)', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const event = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } },
    };
    expect(testEventPattern(pattern, event)).toBe(true);
    expect(testEventPattern({ detail: { 'c-count': [{ exists: true }] } }, event)).toBe(false);
  });

  it('does not consider the value: a field present with null exists', () => {
    expect(testEventPattern({ detail: { responseElements: [{ exists: true }] } }, autoscalingLaunch)).toBe(
      true,
    );
    expect(testEventPattern({ detail: { responseElements: [{ exists: false }] } }, autoscalingLaunch)).toBe(
      false,
    );
    expect(testEventPattern({ detail: { eventVersion: [{ exists: true }] } }, autoscalingLaunch)).toBe(true);
  });

  it('treats an empty event array as absent (it has no leaf value)', () => {
    expect(testEventPattern({ resources: [{ exists: false }] }, autoscalingLaunch)).toBe(true);
    expect(testEventPattern({ resources: [{ exists: true }] }, autoscalingLaunch)).toBe(false);
  });

  it('exists false holds when a whole parent object is missing', () => {
    expect(testEventPattern({ detail: { 'c-count': [{ exists: false }] } }, { source: 'aws.ec2' })).toBe(
      true,
    );
    expect(testEventPattern({ 'replay-name': [{ exists: false }] }, ec2Running)).toBe(true);
    expect(
      testEventPattern({ 'replay-name': [{ exists: false }] }, { ...ec2Running, 'replay-name': 'r1' }),
    ).toBe(false);
  });

  it('can be combined with values: "x" or absent', () => {
    const pattern = { detail: { mode: ['x', { exists: false }] } };
    expect(testEventPattern(pattern, { detail: {} })).toBe(true);
    expect(testEventPattern(pattern, { detail: { mode: 'x' } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { mode: 'y' } })).toBe(false);
  });
});

describe('Comparison operators: equals-ignore-case and wildcard', () => {
  it('equals-ignore-case: Name is "alice" in any case', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(testEventPattern(pattern, { Name: 'Alice' })).toBe(true);
    expect(testEventPattern(pattern, { Name: 'ALICE' })).toBe(true);
    expect(testEventPattern(pattern, { Name: 'Alicia' })).toBe(false);
  });

  it('equals-ignore-case on detail-type', () => {
    const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
    expect(testEventPattern(pattern, ec2Running)).toBe(true);
    expect(testEventPattern(pattern, autoscalingLaunch)).toBe(false);
  });

  it('wildcard: event bus ARNs in us-east-1 of any account', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(
      testEventPattern(pattern, {
        EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus',
      }),
    ).toBe(true);
    expect(
      testEventPattern(pattern, {
        EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/myEventBus',
      }),
    ).toBe(false);
  });

  it('wildcard: any file with a .png extension in the folder "dir"', () => {
    const pattern = { FileName: [{ wildcard: 'dir/*.png' }] };
    expect(testEventPattern(pattern, { FileName: 'dir/image.png' })).toBe(true);
    expect(testEventPattern(pattern, { FileName: 'dir/sub/image.png' })).toBe(true);
    expect(testEventPattern(pattern, { FileName: 'other/image.png' })).toBe(false);
    expect(testEventPattern(pattern, { FileName: 'dir/image.jpg' })).toBe(false);
  });

  it('wildcard: * matches zero or more characters, anywhere and several times', () => {
    const pattern = { k: [{ wildcard: '*Title*' }] };
    expect(testEventPattern(pattern, { k: 'Title' })).toBe(true);
    expect(testEventPattern(pattern, { k: 'My Title here' })).toBe(true);
    expect(testEventPattern(pattern, { k: 'title' })).toBe(false);
    expect(testEventPattern({ k: [{ wildcard: 'a*b*a' }] }, { k: 'aba' })).toBe(true);
    expect(testEventPattern({ k: [{ wildcard: 'ab*ba' }] }, { k: 'aba' })).toBe(false);
    expect(testEventPattern({ k: [{ wildcard: 'Simple*Service' }] }, { k: 'Simple Queue Service' })).toBe(
      true,
    );
  });

  it('wildcard: \\* is a literal asterisk and \\\\ a literal backslash', () => {
    const star = { k: [{ wildcard: 'a\\*b' }] };
    expect(testEventPattern(star, { k: 'a*b' })).toBe(true);
    expect(testEventPattern(star, { k: 'axb' })).toBe(false);
    const backslash = { k: [{ wildcard: 'dir\\\\*' }] };
    expect(testEventPattern(backslash, { k: 'dir\\file' })).toBe(true);
    expect(testEventPattern(backslash, { k: 'dir/file' })).toBe(false);
  });

  it('wildcard and equals-ignore-case only match string values', () => {
    expect(testEventPattern({ k: [{ wildcard: '*' }] }, { k: 5 })).toBe(false);
    expect(testEventPattern({ k: [{ wildcard: '*' }] }, { k: '' })).toBe(true);
    expect(testEventPattern({ k: [{ 'equals-ignore-case': 'true' }] }, { k: true })).toBe(false);
  });
});

describe('$or matching', () => {
  it('matches source AND (metricName OR namespace)', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(testEventPattern(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(testEventPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(testEventPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
    expect(testEventPattern(pattern, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
  });

  it('matches $or of numeric conditions inside detail', () => {
    const pattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(testEventPattern(pattern, { detail: { 'c-count': 7, 'd-count': 20, 'x-limit': 301.8 } })).toBe(
      true,
    );
    expect(testEventPattern(pattern, { detail: { 'c-count': 7, 'd-count': 20, 'x-limit': 1 } })).toBe(false);
  });

  it('matches Location is "New York" or Day is "Monday"', () => {
    const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    expect(testEventPattern(pattern, { Location: 'Boston', Day: 'Monday' })).toBe(true);
    expect(testEventPattern(pattern, { Location: 'New York', Day: 'Sunday' })).toBe(true);
    expect(testEventPattern(pattern, { Location: 'Boston', Day: 'Sunday' })).toBe(false);
  });

  it('ANDs parallel $or at different levels', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expect(testEventPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.cloudwatch' } })).toBe(
      true,
    );
    expect(testEventPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.s3' } })).toBe(false);
  });

  it('nests $or and AND', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    const base = { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' };
    expect(testEventPattern(pattern, { ...base, spaceId: 1000 })).toBe(true);
    expect(testEventPattern(pattern, { ...base, spaceId: 1001 })).toBe(false);
    expect(testEventPattern(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  it('treats "$or" holding an object as an ordinary field name (backward compatibility)', () => {
    const pattern = { source: ['aws.cloudwatch'], $or: { metricType: ['MetricType'] } };
    expect(testEventPattern(pattern, { source: 'aws.cloudwatch', $or: { metricType: 'MetricType' } })).toBe(
      true,
    );
    expect(testEventPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(false);
  });
});

describe('S3 "Object Created" events', () => {
  const pattern = {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: {
      bucket: { name: ['amzn-s3-demo-bucket1'] },
      object: { key: [{ prefix: 'bronze/orders/' }] },
    },
  };

  it('matches an object created under the key prefix in the bucket', () => {
    expect(
      testEventPattern(pattern, s3ObjectCreated('amzn-s3-demo-bucket1', 'bronze/orders/2024/01/part-0.json')),
    ).toBe(true);
  });

  it('does not match a key outside the prefix', () => {
    expect(
      testEventPattern(pattern, s3ObjectCreated('amzn-s3-demo-bucket1', 'bronze/customers/part-0.json')),
    ).toBe(false);
    expect(testEventPattern(pattern, s3ObjectCreated('amzn-s3-demo-bucket1', 'example-key'))).toBe(false);
  });

  it('does not match another bucket or another detail-type', () => {
    expect(testEventPattern(pattern, s3ObjectCreated('other-bucket', 'bronze/orders/part-0.json'))).toBe(
      false,
    );
    expect(
      testEventPattern(
        pattern,
        s3ObjectCreated('amzn-s3-demo-bucket1', 'bronze/orders/part-0.json', 'Object Deleted'),
      ),
    ).toBe(false);
  });

  it('filters the documented sample event on bucket, key suffix and object size', () => {
    const bySize = {
      source: ['aws.s3'],
      detail: {
        bucket: { name: ['amzn-s3-demo-bucket1'] },
        object: { key: [{ wildcard: 'example-*' }], size: [{ numeric: ['>', 0] }] },
        reason: ['PutObject'],
      },
    };
    expect(testEventPattern(bySize, s3ObjectCreated('amzn-s3-demo-bucket1', 'example-key'))).toBe(true);
    expect(testEventPattern(bySize, s3ObjectCreated('amzn-s3-demo-bucket1', 'sample-key'))).toBe(false);
  });
});

describe('compileEventPattern', () => {
  it('compiles once and matches many events', () => {
    const matches = compileEventPattern({
      detail: { state: ['running'], 'c-count': [{ numeric: ['>', 2] }] },
    });
    const results = [1, 2, 3, 4, 5].map((n) => matches(withDetail('c-count', n)));
    expect(results).toEqual([false, false, true, true, true]);
    expect(matches(ec2Running)).toBe(true);
    expect(matches(ec2Terminated)).toBe(false);
  });

  it('does not match events that are not objects, except for absence-only patterns', () => {
    const matches = compileEventPattern({ source: ['aws.ec2'] });
    expect(matches(null)).toBe(false);
    expect(matches('aws.ec2')).toBe(false);
    expect(matches(['aws.ec2'])).toBe(false);
    expect(testEventPattern({ source: [{ exists: false }] }, null)).toBe(true);
  });
});

describe('invalid patterns', () => {
  it('reports the reason and the place, like InvalidEventPatternException', () => {
    const err = invalid({ detail: { x: [{ numeric: ['>', 'five'] }] } });
    expect(err.name).toBe('InvalidEventPatternError');
    expect(err.message).toBe(
      'Event pattern is not valid. Reason: Value of > must be numeric, not "five" at detail.x[0].numeric[1]',
    );
    expect(err.reason).toBe('Value of > must be numeric, not "five"');
    expect(err.path).toBe('detail.x[0].numeric[1]');
    expect(err).toBeInstanceOf(Error);
  });

  it('rejects a field value that is not an array or object ({"source": "aws.s3"})', () => {
    const err = invalid({ source: 'aws.s3' });
    expect(err.message).toMatch(
      /^Event pattern is not valid\. Reason: "source" must be an object or an array/,
    );
    expect(err.path).toBe('source');
    expect(invalid({ detail: { size: 5 } }).path).toBe('detail.size');
    expect(invalid({ detail: { flag: true } }).reason).toMatch(/"flag" must be an object or an array/);
  });

  it('rejects patterns that are not objects', () => {
    for (const pattern of ['{"source": ["aws.s3"]}', ['aws.s3'], null, 42, undefined]) {
      expect(invalid(pattern).reason).toBe('Filter is not an object');
    }
  });

  it('rejects empty objects, at the root and nested', () => {
    expect(invalid({}).message).toBe(
      'Event pattern is not valid. Reason: Empty objects are not allowed at (root)',
    );
    expect(invalid({ detail: {} }).path).toBe('detail');
    expect(invalid({ $or: [{ a: ['x'] }, {}] }).path).toBe('$or[1]');
  });

  it('rejects empty arrays', () => {
    const err = invalid({ source: [] });
    expect(err.reason).toBe('Empty arrays are not allowed');
    expect(err.path).toBe('source');
    expect(invalid({ s: [{ 'anything-but': [] }] }).reason).toBe('Empty arrays are not allowed');
    expect(invalid({ s: [{ 'anything-but': { wildcard: [] } }] }).reason).toBe(
      'Empty arrays are not allowed',
    );
  });

  it('rejects arrays and other non-JSON-scalars as match values', () => {
    expect(invalid({ source: [['aws.s3']] }).reason).toMatch(
      /^Match value must be String, number, true, false, or null/,
    );
    expect(invalid({ n: [Number.POSITIVE_INFINITY] }).path).toBe('n[0]');
  });

  it('rejects unknown operators', () => {
    const err = invalid({ source: [{ contains: 'aws' }] });
    expect(err.reason).toBe('Unrecognized match type contains');
    expect(err.path).toBe('source[0].contains');
    expect(invalid({ source: [{ regex: '^aws' }] }).reason).toBe('Unrecognized match type regex');
  });

  it('rejects match expressions without exactly one operator', () => {
    expect(invalid({ s: [{ prefix: 'a', suffix: 'b' }] }).reason).toMatch(
      /^Only one key allowed in match expression/,
    );
    expect(invalid({ s: [{}] }).reason).toMatch(/^Match expression name not found/);
  });

  it('rejects bad numeric expressions', () => {
    const cases: [unknown, RegExp][] = [
      [5, /^Value of numeric must be an array/],
      [[], /must not be an empty array/],
      [['~', 5], /^Unrecognized numeric range operator: "~"/],
      [[5, '>'], /^Unrecognized numeric range operator: 5/],
      [['>'], /^Value of > must be numeric, not nothing/],
      [['=', '5'], /^Value of equals must be numeric/],
      [['=', 1, '<', 5], /^Too many elements in numeric expression/],
      [['<', 5, '>', 1], /^Too many elements in numeric expression/],
      [['>', 0, '>', 5], /^Bad numeric range operator: >/],
      [['>', 0, '<'], /^Value of < must be numeric/],
      [['>', 5, '<', 1], /^Bottom must be less than top/],
      [['>', 5, '<=', 5], /^Bottom must be less than top/],
      [['>', 0, '<', 5, '<', 6], /^Too many terms in numeric range expression/],
      [['>', 6e9], /out of range/],
    ];
    for (const [operand, reason] of cases) {
      expect(invalid({ detail: { n: [{ numeric: operand }] } }).reason).toMatch(reason);
    }
  });

  it('rejects operands of the wrong type', () => {
    expect(invalid({ s: [{ exists: 'true' }] }).reason).toBe(
      'exists match pattern must be either true or false.',
    );
    expect(invalid({ s: [{ prefix: 5 }] }).reason).toMatch(/^prefix match pattern must be a string/);
    expect(invalid({ s: [{ suffix: ['.png'] }] }).reason).toMatch(/^suffix match pattern must be a string/);
    expect(invalid({ s: [{ 'equals-ignore-case': ['a', 'b'] }] }).reason).toMatch(
      /^equals-ignore-case match pattern/,
    );
    expect(invalid({ s: [{ wildcard: null }] }).reason).toMatch(/^wildcard match pattern must be a string/);
    expect(invalid({ s: [{ prefix: { 'equals-ignore-case': 5 } }] }).path).toBe(
      's[0].prefix.equals-ignore-case',
    );
    expect(invalid({ s: [{ prefix: { wildcard: 'a*' } }] }).reason).toMatch(
      /^Unsupported prefix pattern: wildcard/,
    );
  });

  it('rejects consecutive wildcards and invalid escapes', () => {
    expect(invalid({ k: [{ wildcard: 'abc**def' }] }).reason).toMatch(
      /^Consecutive wildcard characters at pos 4/,
    );
    expect(invalid({ k: [{ wildcard: 'a\\d' }] }).reason).toMatch(/^Invalid escape character at pos 2/);
    expect(invalid({ k: [{ wildcard: 'trailing\\' }] }).reason).toMatch(/^Invalid escape character/);
    expect(invalid({ k: [{ 'anything-but': { wildcard: ['*/lib/*', '**'] } }] }).path).toBe(
      'k[0].anything-but.wildcard[1]',
    );
  });

  it('rejects bad anything-but operands', () => {
    expect(invalid({ s: [{ 'anything-but': true }] }).reason).toMatch(/^Value of anything-but must be/);
    expect(invalid({ s: [{ 'anything-but': null }] }).reason).toMatch(/^Value of anything-but must be/);
    expect(invalid({ s: [{ 'anything-but': ['a', 1] }] }).reason).toMatch(/not mixed/);
    expect(invalid({ s: [{ 'anything-but': ['a', null] }] }).path).toBe('s[0].anything-but[1]');
    expect(invalid({ s: [{ 'anything-but': { numeric: ['>', 1] } }] }).reason).toBe(
      'Unsupported anything-but pattern: numeric',
    );
    expect(invalid({ s: [{ 'anything-but': { prefix: '' } }] }).reason).toBe(
      'Null prefix/suffix not allowed',
    );
    expect(invalid({ s: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] }).reason).toMatch(/exactly one/);
    expect(invalid({ s: [{ 'anything-but': { 'equals-ignore-case': [1] } }] }).path).toBe(
      's[0].anything-but.equals-ignore-case[0]',
    );
  });

  it('rejects malformed CIDR blocks', () => {
    expect(invalid({ ip: [{ cidr: '10.0.0.0' }] }).reason).toMatch(/one '\/' required/);
    expect(invalid({ ip: [{ cidr: '10.0.0.0/x' }] }).reason).toMatch(/mask bits must be an integer/);
    expect(invalid({ ip: [{ cidr: '10.0.0.256/24' }] }).reason).toBe('Nonstandard IP address: 10.0.0.256');
    expect(invalid({ ip: [{ cidr: '10.0.0.0/33' }] }).reason).toMatch(/IPv4 mask bits/);
    expect(invalid({ ip: [{ cidr: '2001:db8::/129' }] }).reason).toMatch(/IPv6 mask bits/);
    expect(invalid({ ip: [{ cidr: 10 }] }).reason).toMatch(/^cidr match pattern must be a string/);
  });

  it('rejects a $or with a single sub-pattern', () => {
    const err = invalid({ detail: { $or: [{ state: ['running'] }] } });
    expect(err.reason).toMatch(/\$or needs an array of at least 2 sub-patterns/);
    expect(err.path).toBe('detail.$or');
  });

  it('validates the whole pattern up front, including $or branches never reached', () => {
    const pattern = { source: ['nope'], $or: [{ a: ['x'] }, { b: [{ numeric: ['>', 'x'] }] }] };
    expect(invalid(pattern).path).toBe('$or[1].b[0].numeric[1]');
  });
});

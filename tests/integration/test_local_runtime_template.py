"""Reading template.yaml for the local runtime: intrinsic tags, Globals merge, routes and sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from a2n.errors import ConfigurationError
from a2n.local.template import load_template

FIXTURE = Path(__file__).parents[1] / "fixtures" / "runtime" / "template.yaml"

INTRINSICS = """
Parameters:
  Stage: {Type: String, Default: dev}
  Csv: {Type: String, Default: "a,b,c"}
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  NotDev: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Or [!Equals [1, 2], !Equals [x, x]]]
Mappings:
  Sizes: {dev: {Mem: 512}}
Globals:
  Function:
    Handler: app.handler
    Timeout: 7
    Layers: [!Ref Layer]
    Environment:
      Variables: {SHARED: global, OVERRIDDEN: global}
Resources:
  Layer: {Type: AWS::Serverless::LayerVersion}
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub "${AWS::StackName}-${Stage}-q"}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      MemorySize: !FindInMap [Sizes, !Ref Stage, Mem]
      Environment:
        Variables:
          OVERRIDDEN: mine
          SUB_LIST: !Sub ["${Name}@${AWS::Region}", {Name: !GetAtt Q.QueueName}]
          ESCAPED: !Sub "${!Literal}-${Stage}"
          JOINED: !Join ["/", [!Select [1, !Split [",", !Ref Csv]], !Ref Fn]]
          ARN: !GetAtt Fn.Arn
          QUEUE_ARN: !GetAtt Q.Arn
          QUEUE_URL: !Ref Q
          IF: !If [Both, "yes", "no"]
          NOT: !If [NotDev, "yes", !Ref "AWS::NoValue"]
          B64: !Base64 hi
          LONG: {"Fn::Join": ["", ["a", {"Ref": "Stage"}]]}
          ACCOUNT: !Sub "${AWS::AccountId}:${AWS::Partition}"
"""


def test_intrinsics_resolve_to_local_values(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(INTRINSICS)
    template = load_template(path, stack_name="st", queue_urls={"Q": "http://moto/123456789012/st-dev-q"})
    fn = template.functions["Fn"]
    assert fn.environment == {
        "SHARED": "global",
        "OVERRIDDEN": "mine",
        "SUB_LIST": "st-dev-q@us-east-1",
        "ESCAPED": "${Literal}-dev",
        "JOINED": "b/Fn",
        "ARN": "arn:aws:lambda:us-east-1:123456789012:function:Fn",
        "QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:st-dev-q",
        "QUEUE_URL": "http://moto/123456789012/st-dev-q",
        "IF": "yes",
        "B64": "aGk=",
        "LONG": "adev",
        "ACCOUNT": "123456789012:aws",
    }
    assert (fn.timeout_s, fn.memory_mb, fn.handler) == (7, 512, "app.handler")
    assert fn.code_uri == (tmp_path / "fn").resolve()
    assert template.queues["Q"].name == "st-dev-q"


def test_parameter_overrides_change_conditions(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(INTRINSICS.replace("Sizes: {dev: {Mem: 512}}", "Sizes: {prod: {Mem: 1024}}"))
    fn = load_template(path, parameters={"Stage": "prod"}).functions["Fn"]
    assert (fn.environment["IF"], fn.environment["NOT"], fn.memory_mb) == ("no", "yes", 1024)


def test_unknown_ref_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(INTRINSICS.replace("!Ref Csv", "!Ref Nope"))
    with pytest.raises(ConfigurationError, match="Nope"):
        load_template(path)


def test_fixture_routes_authorizer_queues_and_schedules_are_modelled() -> None:
    template = load_template(FIXTURE)
    routes = {(r.method, r.path): r.authorizer for r in template.routes}
    assert routes[("ANY", "/echo/{id}")] is None
    assert routes[("GET", "/me")] == "A2NAuthorizer"
    assert template.authorizers["A2NAuthorizer"].function == "AuthorizerFunction"
    assert template.authorizers["A2NAuthorizer"].identity_headers == ("Authorization",)
    (source,) = template.sqs_sources
    assert (source.function, source.queue, source.batch_size, source.report_batch_item_failures) == (
        "WorkerFunction",
        "WorkQueue",
        5,
        True,
    )
    assert "ProdOnlyQueue" not in template.queues  # its condition is false
    assert template.queues["WorkQueue"].attributes["VisibilityTimeout"] == "1"
    assert template.queues["WorkQueue"].dead_letter_arn == template.queues["WorkDeadLetterQueue"].arn
    (schedule,) = template.schedules
    assert (schedule.function, schedule.expression) == ("SweeperFunction", "rate(1 minute)")
    assert schedule.is_rule

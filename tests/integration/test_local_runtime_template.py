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


NESTED = Path(__file__).parents[1] / "fixtures" / "runtime" / "nested" / "template.yaml"


def test_nested_applications_are_read_with_the_parameters_and_outputs_the_parent_wires() -> None:
    template = load_template(NESTED, stack_name="app", parameters={"Stage": "qa"})

    echo = template.functions["EchoFunction"]
    assert echo.stack == "Area"
    assert echo.code_uri == (NESTED.parent.parent / "functions" / "echo").resolve()
    # A list parameter crosses the stack boundary as text and is a list again inside.
    assert (echo.environment["A2N_STAGE"], echo.environment["SUBNETS"], echo.environment["IN_VPC"]) == (
        "qa",
        "subnet-a+subnet-b",
        "yes",
    )
    assert template.functions["AuthorizerFunction"].stack == "Auth"
    assert template.queues["InboxQueue"].name == "app-Auth-InboxQueue"


def test_explicit_routes_of_a_nested_stack_reach_their_function_through_the_other_stacks_authorizer() -> None:
    template = load_template(NESTED)

    routes = {(r.method, r.path): (r.function, r.authorizer) for r in template.routes}
    assert routes == {
        ("GET", "/echo/{id}"): ("EchoFunction", "A2NAuthorizer"),
        ("ANY", "/public/{proxy+}"): ("EchoFunction", None),
    }
    authorizer = template.authorizers["A2NAuthorizer"]
    assert (authorizer.function, authorizer.identity_headers) == ("AuthorizerFunction", ("Authorization",))
    (source,) = template.sqs_sources
    assert (source.function, source.queue, source.batch_size) == ("WorkerFunction", "InboxQueue", 3)


def test_an_empty_list_parameter_turns_the_nested_condition_off() -> None:
    template = load_template(NESTED, parameters={"SubnetIds": ""})
    assert template.functions["EchoFunction"].environment["IN_VPC"] == "no"


def copy_nested(tmp_path: Path) -> Path:
    for source in NESTED.parent.parent.rglob("*"):
        target = tmp_path / source.relative_to(NESTED.parent.parent)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return tmp_path / "nested" / "template.yaml"


def test_a_nested_stack_missing_a_parameter_is_a_configuration_error(tmp_path: Path) -> None:
    path = copy_nested(tmp_path)
    path.write_text(path.read_text().replace("        InboxArn: !GetAtt Auth.Outputs.InboxArn\n", ""))
    with pytest.raises(ConfigurationError, match="InboxArn"):
        load_template(path)


def test_nested_stacks_depending_on_each_others_outputs_are_a_configuration_error(tmp_path: Path) -> None:
    path = copy_nested(tmp_path)
    text = path.read_text().replace(
        "        HttpApiId: !Ref HttpApi\n\nOutputs",
        "        HttpApiId: !GetAtt Area.Outputs.EchoArn\n\nOutputs",
    )
    path.write_text(text)
    with pytest.raises(ConfigurationError, match="depends on its own outputs"):
        load_template(path)


def test_a_logical_id_declared_in_two_stacks_is_a_configuration_error(tmp_path: Path) -> None:
    path = copy_nested(tmp_path)
    auth = path.parent / "auth.yaml"
    auth.write_text(auth.read_text().replace("AuthorizerFunction", "EchoFunction"))
    with pytest.raises(ConfigurationError, match="EchoFunction is declared in two stacks"):
        load_template(path)


def test_a_plain_lambda_function_is_loaded_without_the_globals() -> None:
    template = load_template(FIXTURE, stack_name="fixture")

    plain = template.functions["PlainFunction"]

    assert plain.name == "fixture-plain"
    assert plain.code_uri == FIXTURE.parent / "functions" / "echo"
    assert (plain.handler, plain.timeout_s, plain.memory_mb) == ("app.lambda_handler", 3, 128)
    assert plain.environment == {}
    assert template.function_by_arn(plain.arn) is plain

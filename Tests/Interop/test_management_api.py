"""The Cognito management API driven only through boto3 and the AWS CLI, as an operator would."""
import json
import os
import subprocess
import sys

import boto3
import botocore
import pytest

from conftest import Server

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"


@pytest.fixture
def api_server(data_dir):
    server = Server(data_dir, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY, COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
    yield server
    server.stop()


def client(server, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region="local"):
    idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name=region,
                       aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                       config=botocore.config.Config(retries={"max_attempts": 1}))
    idp.meta.events.register("after-call.cognito-idp", check_response_against_model)
    return idp


def check_response_against_model(http_response, parsed, model, **_):
    """Every member of every successful answer must be one botocore's model names, with its type."""
    if http_response.status_code != 200 or not http_response.content:
        return
    body = json.loads(http_response.content)
    if model.output_shape is None:
        assert body == {}, f"{model.name} has no output in the model"
    else:
        assert_shape(body, model.output_shape, model.name)


def assert_shape(value, shape, path):
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected an object"
        for name, member in value.items():
            assert name in shape.members, f"{path}.{name} is not in the service model"
            assert_shape(member, shape.members[name], f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected a list"
        for index, item in enumerate(value):
            assert_shape(item, shape.member, f"{path}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected a map"
        for key, item in value.items():
            assert_shape(item, shape.value, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected a string"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value} is not one of {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean"
    elif kind == "timestamp":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected epoch seconds"


def error_code(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_pool_and_client_lifecycle_with_boto3(api_server):
    idp = client(api_server)
    # create a pool and read it back
    pool = idp.create_user_pool(PoolName="shop", AliasAttributes=["email"], AutoVerifiedAttributes=["email"],
                                Policies={"PasswordPolicy": {"MinimumLength": 12}},
                                Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}])["UserPool"]
    pool_id = pool["Id"]
    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Name"] == "shop"
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["AliasAttributes"] == ["email"]
    assert "custom:tenant" in [a["Name"] for a in described["SchemaAttributes"]]
    assert described["CreationDate"].year >= 2024  # botocore parsed an epoch-second timestamp
    # a client with a secret: kept sealed, shown as Cognito shows it
    created = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web", GenerateSecret=True,
                                          AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                          AllowedOAuthScopes=["openid", "email"], CallbackURLs=["https://shop.example/cb"])
    web = created["UserPoolClient"]
    assert len(web["ClientId"]) == 26 and len(web["ClientSecret"]) >= 32
    assert idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=web["ClientId"])["UserPoolClient"]["ClientSecret"] == web["ClientSecret"]
    # update resets what is left out, as Cognito does
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=web["ClientId"], ClientName="web-2")
    after = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=web["ClientId"])["UserPoolClient"]
    assert after["ClientName"] == "web-2" and "AllowedOAuthFlows" not in after
    # list with boto3's paginator across pages
    for index in range(5):
        idp.create_user_pool_client(UserPoolId=pool_id, ClientName=f"c{index}")
    paginator = idp.get_paginator("list_user_pool_clients")
    names = [c["ClientName"] for page in paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
             for c in page["UserPoolClients"]]
    assert sorted(names) == ["c0", "c1", "c2", "c3", "c4", "web-2"]
    pools = [p["Name"] for page in idp.get_paginator("list_user_pools").paginate(PaginationConfig={"PageSize": 1})
             for p in page["UserPools"]]
    assert sorted(pools) == ["default", "shop"]
    # the discovery document of the new pool works at once
    import requests
    assert requests.get(f"{api_server.url}/{pool_id}/.well-known/jwks.json").json()["keys"]
    # delete
    idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=web["ClientId"])
    idp.delete_user_pool(UserPoolId=pool_id)
    assert error_code(lambda: idp.describe_user_pool(UserPoolId=pool_id)) == "ResourceNotFoundException"


def test_error_paths_have_cognitos_exception_names(api_server):
    idp = client(api_server)
    [pool_id] = api_server.pool_ids()
    assert error_code(lambda: idp.describe_user_pool(UserPoolId="local_Nope12345")) == "ResourceNotFoundException"
    assert error_code(lambda: idp.describe_user_pool(UserPoolId="not a pool id")) == "InvalidParameterException"
    assert error_code(lambda: idp.list_user_pools(MaxResults=61)) == "InvalidParameterException"
    assert error_code(lambda: idp.create_user_pool_client(UserPoolId=pool_id, ClientName="x",
                                                          AllowedOAuthScopes=["api/none"])) == "ScopeDoesNotExistException"
    assert error_code(lambda: idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="x", AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthFlowsUserPoolClient=True)) == "InvalidOAuthFlowException"
    assert error_code(lambda: idp.admin_list_devices(UserPoolId=pool_id, Username="nobody-here")) == "UserNotFoundException"
    assert error_code(lambda: idp.update_auth_event_feedback(UserPoolId=pool_id, Username="nobody", EventId="e1", FeedbackToken="t",
                                                             FeedbackValue="Valid")) == "UnsupportedOperationException"
    # signatures
    assert error_code(lambda: client(api_server, secret_key="wrong").list_user_pools(MaxResults=1)) == "InvalidSignatureException"
    assert error_code(lambda: client(api_server, access_key="AKIAUNKNOWNKEY000000").list_user_pools(MaxResults=1)) == "UnrecognizedClientException"
    assert error_code(lambda: client(api_server, region="eu-west-1").list_user_pools(MaxResults=1)) == "InvalidSignatureException"
    unsigned = boto3.client("cognito-idp", endpoint_url=api_server.url, region_name="local",
                            config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    assert error_code(lambda: unsigned.list_user_pools(MaxResults=1)) == "MissingAuthenticationTokenException"


def aws(server, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION="local",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    cli = os.path.join(os.path.dirname(sys.executable), "aws")
    result = subprocess.run([cli, "cognito-idp", *args, "--endpoint-url", server.url, "--output", "json"],
                            env=env, capture_output=True, text=True, timeout=60)
    return result


def test_aws_cli_creates_pool_and_client_and_reads_them_back(api_server):
    made = aws(api_server, "create-user-pool", "--pool-name", "cli-pool")
    assert made.returncode == 0, made.stderr
    pool_id = json.loads(made.stdout)["UserPool"]["Id"]
    made = aws(api_server, "create-user-pool-client", "--user-pool-id", pool_id, "--client-name", "cli-app")
    assert made.returncode == 0, made.stderr
    client_id = json.loads(made.stdout)["UserPoolClient"]["ClientId"]
    listed = aws(api_server, "list-user-pool-clients", "--user-pool-id", pool_id)
    assert [c["ClientId"] for c in json.loads(listed.stdout)["UserPoolClients"]] == [client_id]
    missing = aws(api_server, "describe-user-pool", "--user-pool-id", "local_Nope12345")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


def test_users_groups_and_resource_servers_with_boto3(api_server):
    idp = client(api_server)
    pool_id = idp.create_user_pool(PoolName="people", AliasAttributes=["email"])["UserPool"]["Id"]
    idp.create_resource_server(UserPoolId=pool_id, Identifier="https://api.people.example", Name="API",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "Read"}])
    made = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="m2m", GenerateSecret=True,
                                       AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
                                       AllowedOAuthScopes=["https://api.people.example/read"])
    assert made["UserPoolClient"]["AllowedOAuthScopes"] == ["https://api.people.example/read"]
    idp.create_group(UserPoolId=pool_id, GroupName="staff", Precedence=1)
    for index in range(9):
        idp.admin_create_user(UserPoolId=pool_id, Username=f"person{index}", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "family_name", "Value": "Even" if index % 2 == 0 else "Odd"}])
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="person3", GroupName="staff")
    # boto3's paginator walks every page of a filtered listing
    pages = list(idp.get_paginator("list_users").paginate(UserPoolId=pool_id, Filter='family_name = "Even"',
                                                          PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 3
    assert sorted(u["Username"] for p in pages for u in p["Users"]) == ["person0", "person2", "person4", "person6", "person8"]
    prefixed = idp.list_users(UserPoolId=pool_id, Filter='username ^= "person"', Limit=60)["Users"]
    assert len(prefixed) == 9
    assert [u["Username"] for u in idp.list_users_in_group(UserPoolId=pool_id, GroupName="staff")["Users"]] == ["person3"]
    assert [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="person3")["Groups"]] == ["staff"]
    # status changes
    idp.admin_set_user_password(UserPoolId=pool_id, Username="person1", Password="Perm4nent-Pass!", Permanent=True)
    idp.admin_disable_user(UserPoolId=pool_id, Username="person1")
    got = idp.admin_get_user(UserPoolId=pool_id, Username="person1")
    assert got["UserStatus"] == "CONFIRMED" and got["Enabled"] is False
    disabled = idp.list_users(UserPoolId=pool_id, Filter='status = "Disabled"')["Users"]
    assert [u["Username"] for u in disabled] == ["person1"]
    # errors by name
    assert error_code(lambda: idp.admin_create_user(UserPoolId=pool_id, Username="person1", MessageAction="SUPPRESS")) == "UsernameExistsException"
    assert error_code(lambda: idp.admin_get_user(UserPoolId=pool_id, Username="nobody")) == "UserNotFoundException"
    assert error_code(lambda: idp.admin_set_user_password(UserPoolId=pool_id, Username="person1", Password="weak")) == "InvalidPasswordException"
    assert error_code(lambda: idp.create_group(UserPoolId=pool_id, GroupName="staff")) == "GroupExistsException"
    assert error_code(lambda: idp.list_users(UserPoolId=pool_id, Filter='shoe_size = "9"')) == "InvalidParameterException"


def test_aws_cli_creates_a_user_and_the_invitation_lands_in_the_outbox(api_server, data_dir):
    made = aws(api_server, "create-user-pool", "--pool-name", "cli-users", "--alias-attributes", "email")
    pool_id = json.loads(made.stdout)["UserPool"]["Id"]
    created = aws(api_server, "admin-create-user", "--user-pool-id", pool_id, "--username", "cliuser",
                  "--user-attributes", "Name=email,Value=cli@example.com", "Name=email_verified,Value=true",
                  "--desired-delivery-mediums", "EMAIL")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    got = aws(api_server, "admin-get-user", "--user-pool-id", pool_id, "--username", "cli@example.com")
    assert json.loads(got.stdout)["Username"] == "cliuser"
    from conftest import run_command
    outbox = run_command(["outbox", "--pool", pool_id], data_dir, COGNATE_ADMIN_ACCESS_KEY_ID=ACCESS_KEY,
                         COGNATE_ADMIN_SECRET_ACCESS_KEY=SECRET_KEY)
    assert "email to cli@example.com" in outbox.stdout
    assert "Your username is cliuser and temporary password is" in outbox.stdout


def test_domains_with_boto3(api_server):
    idp = client(api_server)
    pool_id = idp.create_user_pool(PoolName="branded")["UserPool"]["Id"]
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="branded")
    made = idp.create_user_pool_domain(UserPoolId=pool_id, Domain="login.branded.example",
                                       CustomDomainConfig={"CertificateArn": "arn:aws:acm:local:000000000000:certificate/1"})
    assert made["CloudFrontDomain"] == "127.0.0.1"
    described = idp.describe_user_pool_domain(Domain="branded")["DomainDescription"]
    assert described["UserPoolId"] == pool_id and described["Status"] == "ACTIVE"
    assert described["CloudFrontDistribution"] == "branded.localhost"
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Domain"] == "branded" and pool["CustomDomain"] == "login.branded.example"
    import requests
    discovery = requests.get(f"{api_server.url}/{pool_id}/.well-known/openid-configuration").json()
    assert discovery["authorization_endpoint"] == "https://login.branded.example/oauth2/authorize"
    assert idp.describe_user_pool_domain(Domain="nobody-here")["DomainDescription"] == {}
    assert error_code(lambda: idp.create_user_pool_domain(UserPoolId=pool_id, Domain="Not A Domain")) == "InvalidParameterException"
    # UpdateUserPoolDomain: the version of either, the certificate of the custom one
    assert described["ManagedLoginVersion"] == 1
    assert idp.update_user_pool_domain(UserPoolId=pool_id, Domain="branded", ManagedLoginVersion=2)["ManagedLoginVersion"] == 2
    assert idp.describe_user_pool_domain(Domain="branded")["DomainDescription"]["ManagedLoginVersion"] == 2
    renewed = "arn:aws:acm:local:000000000000:certificate/2"
    updated = idp.update_user_pool_domain(UserPoolId=pool_id, Domain="login.branded.example", CustomDomainConfig={"CertificateArn": renewed})
    assert updated["CloudFrontDomain"] == "127.0.0.1" and updated["ManagedLoginVersion"] == 1
    described = idp.describe_user_pool_domain(Domain="login.branded.example")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": renewed}
    other = idp.create_user_pool(PoolName="other-branded")["UserPool"]["Id"]
    for call in [lambda: idp.update_user_pool_domain(UserPoolId=other, Domain="branded", ManagedLoginVersion=1),
                 lambda: idp.update_user_pool_domain(UserPoolId=pool_id, Domain="nobody-here", ManagedLoginVersion=1),
                 lambda: idp.update_user_pool_domain(UserPoolId=pool_id, Domain="branded", ManagedLoginVersion=3),
                 lambda: idp.update_user_pool_domain(UserPoolId=pool_id, Domain="branded", CustomDomainConfig={"CertificateArn": renewed})]:
        assert error_code(call) == "InvalidParameterException"
    assert idp.describe_user_pool_domain(Domain="branded")["DomainDescription"]["ManagedLoginVersion"] == 2  # nothing half-written
    idp.delete_user_pool_domain(UserPoolId=pool_id, Domain="login.branded.example")
    discovery = requests.get(f"{api_server.url}/{pool_id}/.well-known/openid-configuration").json()
    assert discovery["authorization_endpoint"] == f"http://branded.localhost:{api_server.port}/oauth2/authorize"

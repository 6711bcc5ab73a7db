"""The rest of Cognito's user API through boto3: DeleteUser (a user deletes their own account,
and every token they hold ends), GetTokensFromRefreshToken (rotation, reuse, secrets; the only
renewal a rotating client allows besides the token endpoint), user pool tags (TagResource,
UntagResource, ListTagsForResource, UserPoolTags), the legacy SetUserSettings /
AdminSetUserSettings, AdminDeleteSoftwareToken, and the user sessions (ListUserSessions,
RevokeUserSession and their Admin forms). Each with its refusals and with many requests at once."""
import pytest

from conftest import ADMIN, Server, at_once, claims, cognito, refused

PASSWORD = "Corr3ct-Horse!"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = Server(str(tmp_path_factory.mktemp("user-api")), **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="users", MfaConfiguration="OPTIONAL",
                                UserPoolTags={"team": "identity", "cost-centre": "42"})["UserPool"]
    yield server, idp, pool
    server.stop()


def client(idp, pool_id, **extra):
    return idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                       ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], **extra)["UserPoolClient"]


def user(idp, pool_id, name, **attributes):
    idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True)


def sign_in(idp, app, name, secret=None):
    parameters = {"USERNAME": name, "PASSWORD": PASSWORD}
    if secret:
        import base64
        import hashlib
        import hmac
        parameters["SECRET_HASH"] = base64.b64encode(hmac.new(secret.encode(), (name + app["ClientId"]).encode(), hashlib.sha256).digest()).decode()
    return idp.initiate_auth(ClientId=app["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters)["AuthenticationResult"]


def test_a_user_deletes_their_own_account_and_every_token_ends(world):
    _, idp, pool = world
    app = client(idp, pool["Id"])
    user(idp, pool["Id"], "dana")
    first, second = sign_in(idp, app, "dana"), sign_in(idp, app, "dana")
    refused(lambda: idp.delete_user(AccessToken=first["AccessToken"] + "x"), "NotAuthorizedException")
    refused(lambda: idp.delete_user(AccessToken=first["IdToken"]), "NotAuthorizedException")  # an ID token is not an access token
    idp.delete_user(AccessToken=first["AccessToken"])
    refused(lambda: idp.admin_get_user(UserPoolId=pool["Id"], Username="dana"), "UserNotFoundException")
    for tokens in (first, second):
        refused(lambda: idp.get_user(AccessToken=tokens["AccessToken"]), "NotAuthorizedException")
        refused(lambda: idp.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=tokens["RefreshToken"]),
                "NotAuthorizedException")
    refused(lambda: idp.delete_user(AccessToken=second["AccessToken"]), "NotAuthorizedException")
    refused(lambda: sign_in(idp, app, "dana"), "NotAuthorizedException")  # the pool hides that the user is gone
    # the name is free again: a new account, with a new sub
    user(idp, pool["Id"], "dana")
    assert claims(sign_in(idp, app, "dana")["IdToken"])["sub"] != claims(first["IdToken"])["sub"]


def test_one_deletion_wins_when_eight_arrive_at_once(world):
    _, idp, pool = world
    app = client(idp, pool["Id"])
    user(idp, pool["Id"], "eli")
    token = sign_in(idp, app, "eli")["AccessToken"]
    results = at_once([lambda: idp.delete_user(AccessToken=token) for _ in range(8)])
    assert sum(1 for result in results if isinstance(result, dict)) == 1, results
    assert all(result in ("UserNotFoundException", "NotAuthorizedException") for result in results if not isinstance(result, dict)), results
    refused(lambda: idp.admin_get_user(UserPoolId=pool["Id"], Username="eli"), "UserNotFoundException")


def test_get_tokens_from_refresh_token_with_and_without_rotation(world):
    _, idp, pool = world
    user(idp, pool["Id"], "fay")
    # without rotation: new ID and access tokens, no new refresh token, the old one goes on working
    plain = client(idp, pool["Id"])
    tokens = sign_in(idp, plain, "fay")
    renewed = idp.get_tokens_from_refresh_token(ClientId=plain["ClientId"], RefreshToken=tokens["RefreshToken"])["AuthenticationResult"]
    assert "RefreshToken" not in renewed and renewed["TokenType"] == "Bearer" and renewed["ExpiresIn"] == 3600
    assert claims(renewed["IdToken"])["sub"] == claims(tokens["IdToken"])["sub"]
    assert idp.get_user(AccessToken=renewed["AccessToken"])["Username"] == "fay"
    again = idp.get_tokens_from_refresh_token(ClientId=plain["ClientId"], RefreshToken=tokens["RefreshToken"])["AuthenticationResult"]
    assert again["AccessToken"] != renewed["AccessToken"]
    assert "AccessToken" in idp.initiate_auth(ClientId=plain["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                              AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    # with rotation and a secret
    rotating = client(idp, pool["Id"], GenerateSecret=True, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})
    secret = rotating["ClientSecret"]
    tokens = sign_in(idp, rotating, "fay", secret)
    refused(lambda: idp.initiate_auth(ClientId=rotating["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"], "SECRET_HASH": "x"}), "NotAuthorizedException")
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=tokens["RefreshToken"]),
            "NotAuthorizedException")  # no secret
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=tokens["RefreshToken"],
                                                      ClientSecret=("y" if secret[0] == "x" else "x") + secret[1:]), "NotAuthorizedException")
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId=plain["ClientId"], RefreshToken=tokens["RefreshToken"]),
            "NotAuthorizedException")  # another client's token
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId="nosuchclient000000000000", RefreshToken=tokens["RefreshToken"]),
            "ResourceNotFoundException")
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken="garbage", ClientSecret=secret),
            "NotAuthorizedException", "Invalid Refresh Token")
    # none of the refusals used the token up
    rotated = idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=tokens["RefreshToken"],
                                                ClientSecret=secret)["AuthenticationResult"]
    assert rotated["RefreshToken"] != tokens["RefreshToken"]
    assert claims(rotated["AccessToken"])["origin_jti"] == claims(tokens["AccessToken"])["origin_jti"]
    following = idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=rotated["RefreshToken"],
                                                  ClientSecret=secret)["AuthenticationResult"]
    # the first token again: stolen or replayed; its whole family ends, the newest token included
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=tokens["RefreshToken"], ClientSecret=secret),
            "NotAuthorizedException", "Refresh Token has been revoked")
    refused(lambda: idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=following["RefreshToken"], ClientSecret=secret),
            "NotAuthorizedException")
    refused(lambda: idp.get_user(AccessToken=following["AccessToken"]), "NotAuthorizedException")


def test_racing_renewals_of_one_rotating_token_leave_one_winner(world):
    _, idp, pool = world
    user(idp, pool["Id"], "gus")
    rotating = client(idp, pool["Id"], RefreshTokenRotation={"Feature": "ENABLED"})
    token = sign_in(idp, rotating, "gus")["RefreshToken"]
    results = at_once([lambda: idp.get_tokens_from_refresh_token(ClientId=rotating["ClientId"], RefreshToken=token) for _ in range(8)])
    winners = [result for result in results if isinstance(result, dict)]
    assert len(winners) == 1 and all(result == "NotAuthorizedException" for result in results if not isinstance(result, dict)), results


def test_user_pool_tags(world):
    _, idp, pool = world
    arn = pool["Arn"]
    assert pool["UserPoolTags"] == {"team": "identity", "cost-centre": "42"}
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "identity", "cost-centre": "42"}
    idp.tag_resource(ResourceArn=arn, Tags={"team": "platform", "env": "prod"})
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "platform", "cost-centre": "42", "env": "prod"}
    idp.untag_resource(ResourceArn=arn, TagKeys=["cost-centre", "not-there"])
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["UserPoolTags"] == {"team": "platform", "env": "prod"}
    # UpdateUserPool replaces them when it names them, and leaves them when it does not
    idp.update_user_pool(UserPoolId=pool["Id"], MfaConfiguration="OPTIONAL")
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "platform", "env": "prod"}
    idp.update_user_pool(UserPoolId=pool["Id"], MfaConfiguration="OPTIONAL", UserPoolTags={"env": "staging"})
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "staging"}
    # refusals
    refused(lambda: idp.tag_resource(ResourceArn="arn:aws:s3:::a-bucket-of-mine", Tags={"a": "b"}), "InvalidParameterException")
    refused(lambda: idp.tag_resource(ResourceArn=arn.replace(pool["Id"], pool["Id"][:-1] + ("Y" if pool["Id"][-1] == "Z" else "Z")), Tags={"a": "b"}), "ResourceNotFoundException")
    refused(lambda: idp.list_tags_for_resource(ResourceArn=arn.replace(":local:", ":eu-west-1:")), "ResourceNotFoundException")
    refused(lambda: idp.tag_resource(ResourceArn=arn, Tags={"aws:owner": "me"}), "InvalidParameterException")
    refused(lambda: idp.tag_resource(ResourceArn=arn, Tags={f"k{n}": "v" for n in range(50)}), "InvalidParameterException")
    refused(lambda: idp.tag_resource(ResourceArn=arn, Tags={"x" * 129: "v"}), "InvalidParameterException")
    refused(lambda: idp.create_user_pool(PoolName="too-many", UserPoolTags={f"k{n}": "v" for n in range(51)}), "InvalidParameterException")
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "staging"}  # nothing half-written
    # eight taggings at once, each its own key: all land
    at_once([lambda n=n: idp.tag_resource(ResourceArn=arn, Tags={f"parallel{n}": str(n)}) for n in range(8)])
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "staging", **{f"parallel{n}": str(n) for n in range(8)}}


def test_legacy_user_settings_turn_sms_mfa_on_and_off(world):
    _, idp, pool = world
    app = client(idp, pool["Id"])
    user(idp, pool["Id"], "hal", phone_number="+15555550100", phone_number_verified="true")
    user(idp, pool["Id"], "ida")
    sms = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    idp.admin_set_user_settings(UserPoolId=pool["Id"], Username="hal", MFAOptions=sms)
    shown = idp.admin_get_user(UserPoolId=pool["Id"], Username="hal")
    assert shown["UserMFASettingList"] == ["SMS_MFA"] and shown["MFAOptions"] == sms
    challenge = idp.initiate_auth(ClientId=app["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "hal", "PASSWORD": PASSWORD})
    assert challenge["ChallengeName"] == "SMS_MFA"
    idp.admin_set_user_settings(UserPoolId=pool["Id"], Username="hal", MFAOptions=[])
    shown = idp.admin_get_user(UserPoolId=pool["Id"], Username="hal")
    assert "UserMFASettingList" not in shown and "MFAOptions" not in shown
    tokens = sign_in(idp, app, "hal")
    idp.set_user_settings(AccessToken=tokens["AccessToken"], MFAOptions=sms)
    assert idp.get_user(AccessToken=tokens["AccessToken"])["MFAOptions"] == sms
    idp.set_user_settings(AccessToken=tokens["AccessToken"], MFAOptions=[])
    assert "MFAOptions" not in idp.get_user(AccessToken=tokens["AccessToken"])
    # refusals: another medium, another attribute, a user with no verified phone, no such user, a bad token
    refused(lambda: idp.admin_set_user_settings(UserPoolId=pool["Id"], Username="hal",
                                                MFAOptions=[{"DeliveryMedium": "EMAIL", "AttributeName": "email"}]), "InvalidParameterException")
    refused(lambda: idp.admin_set_user_settings(UserPoolId=pool["Id"], Username="hal",
                                                MFAOptions=[{"DeliveryMedium": "SMS", "AttributeName": "email"}]), "InvalidParameterException")
    refused(lambda: idp.admin_set_user_settings(UserPoolId=pool["Id"], Username="ida", MFAOptions=sms), "InvalidParameterException")
    refused(lambda: idp.admin_set_user_settings(UserPoolId=pool["Id"], Username="nobody", MFAOptions=sms), "UserNotFoundException")
    refused(lambda: idp.set_user_settings(AccessToken="not-a-token", MFAOptions=sms), "NotAuthorizedException")


def test_client_secrets_rotate_with_two_at_once(world):
    server, idp, pool = world
    user(idp, pool["Id"], "jo")
    app = client(idp, pool["Id"], GenerateSecret=True)
    first = app["ClientSecret"]
    listed = idp.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=app["ClientId"])["ClientSecrets"]
    assert len(listed) == 1 and listed[0]["ClientSecretId"].startswith(app["ClientId"] + "--") and "ClientSecretValue" not in listed[0]
    added = idp.add_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"])["ClientSecretDescriptor"]
    second = added["ClientSecretValue"]
    assert second != first and added["ClientSecretId"] != listed[0]["ClientSecretId"]
    refused(lambda: idp.add_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"]), "LimitExceededException")
    listed = idp.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=app["ClientId"])["ClientSecrets"]
    assert [entry["ClientSecretId"] for entry in listed][1] == added["ClientSecretId"] and all("ClientSecretValue" not in e for e in listed)

    def works(secret):
        """SECRET_HASH keyed with it, ClientSecret in GetTokensFromRefreshToken, and HTTP Basic at the token endpoint."""
        tokens = sign_in(idp, app, "jo", secret)
        idp.get_tokens_from_refresh_token(ClientId=app["ClientId"], RefreshToken=tokens["RefreshToken"], ClientSecret=secret)
        import requests
        answer = requests.post(f"{server.url}/{pool['Id']}/oauth2/token", auth=(app["ClientId"], secret),
                               data={"grant_type": "refresh_token", "refresh_token": tokens["RefreshToken"]})
        assert answer.status_code == 200, answer.text
        return True

    def fails(secret):
        refused(lambda: sign_in(idp, app, "jo", secret), "NotAuthorizedException")
        import requests
        assert requests.post(f"{server.url}/{pool['Id']}/oauth2/token", auth=(app["ClientId"], secret),
                             data={"grant_type": "refresh_token", "refresh_token": "x"}).json()["error"] == "invalid_client"
        return True

    assert works(first) and works(second)
    assert idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=app["ClientId"])["UserPoolClient"]["ClientSecret"] == first
    # the first goes: only the second works now, and it is the client's secret
    refused(lambda: idp.delete_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"], ClientSecretId=app["ClientId"] + "--1"),
            "ResourceNotFoundException")
    idp.delete_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"], ClientSecretId=listed[0]["ClientSecretId"])
    assert fails(first) and works(second)
    assert idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=app["ClientId"])["UserPoolClient"]["ClientSecret"] == second
    listed = idp.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=app["ClientId"])["ClientSecrets"]
    assert [entry["ClientSecretId"] for entry in listed] == [added["ClientSecretId"]]
    refused(lambda: idp.delete_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"], ClientSecretId=added["ClientSecretId"]),
            "InvalidParameterException")
    # a secret of one's own: not echoed back
    chosen = "Chosen" + "s3cret" * 5
    custom = idp.add_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"], ClientSecret=chosen)["ClientSecretDescriptor"]
    assert "ClientSecretValue" not in custom and works(chosen) and works(second)
    idp.delete_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"], ClientSecretId=custom["ClientSecretId"])
    assert fails(chosen) and works(second)
    # a public client has none to rotate; another client's secret id is not this one's
    public = client(idp, pool["Id"])
    refused(lambda: idp.add_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=public["ClientId"]), "InvalidParameterException")
    assert idp.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=public["ClientId"])["ClientSecrets"] == []
    refused(lambda: idp.delete_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=public["ClientId"], ClientSecretId=added["ClientSecretId"]),
            "ResourceNotFoundException")
    refused(lambda: idp.add_user_pool_client_secret(UserPoolId=pool["Id"], ClientId="nosuchclient0000000000000"), "ResourceNotFoundException")
    # eight additions at once: one lands, seven are over the limit
    results = at_once([lambda: idp.add_user_pool_client_secret(UserPoolId=pool["Id"], ClientId=app["ClientId"]) for _ in range(8)])
    assert sum(1 for result in results if isinstance(result, dict)) == 1 and results.count("LimitExceededException") == 7, results
    assert len(idp.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=app["ClientId"])["ClientSecrets"]) == 2
    # an update of the client's settings keeps both
    idp.update_user_pool_client(UserPoolId=pool["Id"], ClientId=app["ClientId"], ClientName="renamed",
                                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    assert len(idp.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=app["ClientId"])["ClientSecrets"]) == 2 and works(second)


def test_an_administrator_deletes_a_lost_authenticator(world):
    import pyotp
    _, idp, pool = world
    app = client(idp, pool["Id"])
    user(idp, pool["Id"], "hana")
    access = sign_in(idp, app, "hana")["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    asked = idp.initiate_auth(ClientId=app["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "hana", "PASSWORD": PASSWORD})
    assert asked["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    refused(lambda: idp.admin_delete_software_token(UserPoolId=pool["Id"], Username="nobody-here"), "UserNotFoundException")
    refused(lambda: idp.admin_delete_software_token(UserPoolId="local_Nope12345", Username="hana"), "ResourceNotFoundException")
    results = at_once([lambda: idp.admin_delete_software_token(UserPoolId=pool["Id"], Username="hana") for _ in range(8)])
    assert all(isinstance(r, dict) for r in results), results  # forgetting it again changes nothing
    shown = idp.admin_get_user(UserPoolId=pool["Id"], Username="hana")
    assert "SOFTWARE_TOKEN_MFA" not in shown.get("UserMFASettingList", []) and "PreferredMfaSetting" not in shown
    # the optional second factor is gone: the password alone signs in; the old code means nothing now
    assert "AccessToken" in sign_in(idp, app, "hana")
    refused(lambda: idp.respond_to_auth_challenge(ClientId=app["ClientId"], ChallengeName="SOFTWARE_TOKEN_MFA", Session=asked["Session"],
                                                  ChallengeResponses={"USERNAME": "hana", "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).now()}),
            "NotAuthorizedException")
    # a new authenticator can be set up
    access = sign_in(idp, app, "hana")["AccessToken"]
    fresh = idp.associate_software_token(AccessToken=access)["SecretCode"]
    assert fresh != secret
    assert idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(fresh).now())["Status"] == "SUCCESS"


def test_a_user_lists_and_ends_their_sessions(world):
    import requests
    from conftest import Form
    server, idp, pool = world
    app = client(idp, pool["Id"])
    web = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                      AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"])["UserPoolClient"]["ClientId"]
    user(idp, pool["Id"], "ivy")
    user(idp, pool["Id"], "jon")
    first, second = sign_in(idp, app, "ivy"), sign_in(idp, app, "ivy")
    # a hosted sign-in: the browser's SSO session
    browser = requests.Session()
    query = (f"response_type=code&client_id={web}&redirect_uri=http://localhost:3000/cb&scope=openid"
             "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
    form = Form()
    form.feed(browser.get(f"{server.url}/{pool['Id']}/oauth2/authorize?{query}").text)
    signed = browser.post(f"{server.url}{form.action}", data=dict(form.fields, username="ivy", password=PASSWORD), allow_redirects=False)
    assert signed.status_code in (302, 303) and signed.headers["Location"].startswith("http://localhost:3000/cb?code=")
    sessions = idp.list_user_sessions(AccessToken=first["AccessToken"])["Sessions"]
    tokens = [s for s in sessions if s["SessionType"] == "TOKEN"]
    sso = [s for s in sessions if s["SessionType"] == "SSO"]
    assert len(tokens) == 2 and len(sso) == 1 and all(s["ClientId"] == app["ClientId"] for s in tokens), sessions
    assert all(len(s["SessionId"]) == 28 and s["SessionId"][:3] in ("tkn", "sso") for s in sessions)
    [current] = [s for s in sessions if s["IsCurrentSession"]]
    [other] = [s for s in tokens if not s["IsCurrentSession"]]
    assert idp.admin_list_user_sessions(UserPoolId=pool["Id"], Username="ivy")["Sessions"] == [dict(s, IsCurrentSession=False) for s in sessions]
    # refusals: the caller's own session, someone else's, no such session, not a session id
    refused(lambda: idp.revoke_user_session(AccessToken=first["AccessToken"], SessionId=current["SessionId"]), "InvalidParameterException")
    jon = sign_in(idp, app, "jon")
    refused(lambda: idp.revoke_user_session(AccessToken=jon["AccessToken"], SessionId=other["SessionId"]), "ResourceNotFoundException")
    refused(lambda: idp.revoke_user_session(AccessToken=first["AccessToken"], SessionId="tkn" + "0" * 25), "ResourceNotFoundException")
    refused(lambda: idp.revoke_user_session(AccessToken=first["AccessToken"], SessionId="abc" + "0" * 25), "InvalidParameterException")
    # the other token session ends: its refresh token and its access token with it (eight revocations at once leave it ended)
    results = at_once([lambda: idp.revoke_user_session(AccessToken=first["AccessToken"], SessionId=other["SessionId"]) for _ in range(8)])
    assert any(isinstance(r, dict) for r in results) and all(isinstance(r, dict) or r == "ResourceNotFoundException" for r in results), results
    refused(lambda: idp.get_user(AccessToken=second["AccessToken"]), "NotAuthorizedException")
    refused(lambda: idp.initiate_auth(ClientId=app["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": second["RefreshToken"]}),
            "NotAuthorizedException")
    assert idp.get_user(AccessToken=first["AccessToken"])["Username"] == "ivy"
    # the SSO session ends: the browser is asked to sign in again
    idp.revoke_user_session(AccessToken=first["AccessToken"], SessionId=sso[0]["SessionId"])
    again = browser.get(f"{server.url}/{pool['Id']}/oauth2/authorize?{query}", allow_redirects=False)
    assert not again.headers.get("Location", "").startswith("http://localhost:3000/cb"), again.headers
    assert [s["SessionId"] for s in idp.list_user_sessions(AccessToken=first["AccessToken"])["Sessions"]] == [current["SessionId"]]
    # an administrator may end the caller's own session too
    idp.admin_revoke_user_session(UserPoolId=pool["Id"], Username="ivy", SessionId=current["SessionId"])
    refused(lambda: idp.get_user(AccessToken=first["AccessToken"]), "NotAuthorizedException")
    refused(lambda: idp.admin_list_user_sessions(UserPoolId=pool["Id"], Username="nobody-here"), "UserNotFoundException")
    assert idp.admin_list_user_sessions(UserPoolId=pool["Id"], Username="ivy")["Sessions"] == []

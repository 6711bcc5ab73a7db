"""Passkeys through boto3, with a software authenticator made in the test from `cryptography`
and `cbor2` (passkey_authenticator.py): a signed-in user registers a passkey
(StartWebAuthnRegistration, CompleteWebAuthnRegistration), lists and deletes them, and signs in
with one through USER_AUTH's WEB_AUTHN challenge and nothing else. ES256, RS256 and EdDSA keys;
none, packed self and packed x5c attestation. Refused: replayed assertions, other origins and
RP ids, counters that go backwards, signatures by other keys, spent or forged challenges."""
import json

import boto3
import botocore.config
import pytest

from conftest import ADMIN, Server, at_once, cognito, refused
from passkey_authenticator import Authenticator, Key, b64url

PASSWORD = "Corr3ct-Horse!"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = Server(str(tmp_path_factory.mktemp("passkeys")), **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="passkeys", Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}})["UserPool"]
    idp.set_user_pool_mfa_config(UserPoolId=pool["Id"], WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "preferred"})
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app", PreventUserExistenceErrors="ENABLED",
                                         ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    browser = Authenticator(f"http://localhost:{server.port}")
    yield server, idp, pool, client, browser
    server.stop()


def make_user(idp, pool, name):
    idp.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}])
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password=PASSWORD, Permanent=True)


def password_sign_in(idp, client, name):
    return idp.initiate_auth(ClientId=client, AuthFlow="USER_AUTH", AuthParameters={
        "USERNAME": name, "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]


def register(idp, browser, token, **bend):
    options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    passkey, credential = browser.create(options, **bend)
    idp.complete_web_authn_registration(AccessToken=token, Credential=credential)
    return passkey


def passkey_challenge(idp, client, name):
    started = idp.initiate_auth(ClientId=client, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"})
    assert started["ChallengeName"] == "WEB_AUTHN", started
    return started, json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])


def answer(idp, client, started, name, credential):
    return idp.respond_to_auth_challenge(ClientId=client, ChallengeName="WEB_AUTHN", Session=started["Session"],
                                         ChallengeResponses={"USERNAME": name, "CREDENTIAL": credential})


def test_a_passkey_registered_after_a_password_sign_in_signs_in_alone(world):
    _, idp, pool, client, browser = world
    config = idp.get_user_pool_mfa_config(UserPoolId=pool["Id"])["WebAuthnConfiguration"]
    assert config == {"RelyingPartyId": "localhost", "UserVerification": "preferred", "FactorConfiguration": "SINGLE_FACTOR"}
    make_user(idp, pool, "ada")
    token = password_sign_in(idp, client, "ada")
    assert idp.get_user_auth_factors(AccessToken=token)["ConfiguredUserAuthFactors"] == ["PASSWORD"]
    options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"] == {"id": "localhost", "name": "passkeys"} and options["user"]["name"] == "ada"
    assert options["user"]["displayName"] == "ada@example.com" and options["attestation"] == "none"
    assert sorted(p["alg"] for p in options["pubKeyCredParams"]) == [-257, -8, -7] and options["excludeCredentials"] == []
    assert options["authenticatorSelection"]["userVerification"] == "preferred" and len(options["challenge"]) >= 40
    passkey, credential = browser.create(options)
    assert idp.complete_web_authn_registration(AccessToken=token, Credential=credential)["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = idp.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert [(c["CredentialId"], c["RelyingPartyId"], c["AuthenticatorAttachment"], c["AuthenticatorTransports"]) for c in listed] == [
        (b64url(passkey.id), "localhost", "platform", ["internal", "hybrid"])]
    assert listed[0]["FriendlyCredentialName"].startswith("Passkey added ") and listed[0]["CreatedAt"]
    assert idp.get_user_auth_factors(AccessToken=token)["ConfiguredUserAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]
    # a passkey as the second factor after a password: not offered, said so
    refused(lambda: idp.set_user_mfa_preference(AccessToken=token, WebAuthnMfaSettings={"Enabled": True}), "InvalidParameterException")
    # the next registration excludes it
    assert idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]["excludeCredentials"] == [
        {"type": "public-key", "id": b64url(passkey.id), "transports": ["internal", "hybrid"]}]
    # signing in with it and nothing else
    started, request = passkey_challenge(idp, client, "ada")
    assert request["rpId"] == "localhost" and request["allowCredentials"] == [
        {"type": "public-key", "id": b64url(passkey.id), "transports": ["internal", "hybrid"]}]
    tokens = answer(idp, client, started, "ada", browser.get(request, passkey))["AuthenticationResult"]
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "ada" and tokens["RefreshToken"]
    # through SELECT_CHALLENGE too
    select = idp.initiate_auth(ClientId=client, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "ada"})
    assert select["ChallengeName"] == "SELECT_CHALLENGE" and select["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN"]
    chosen = idp.respond_to_auth_challenge(ClientId=client, ChallengeName="SELECT_CHALLENGE", Session=select["Session"],
                                           ChallengeResponses={"USERNAME": "ada", "ANSWER": "WEB_AUTHN"})
    assert chosen["ChallengeName"] == "WEB_AUTHN"
    request = json.loads(chosen["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert "AuthenticationResult" in answer(idp, client, chosen, "ada", browser.get(request, passkey))


@pytest.mark.parametrize("algorithm,fmt,x5c", [("RS256", "none", False), ("EdDSA", "none", False), ("ES256", "packed", False),
                                                ("ES256", "packed", True), ("RS256", "packed", True)])
def test_keys_and_attestations_cognate_accepts(world, algorithm, fmt, x5c):
    _, idp, pool, client, browser = world
    name = f"k{algorithm.lower()}{fmt}{int(x5c)}"
    make_user(idp, pool, name)
    token = password_sign_in(idp, client, name)
    attestation_key = Key(algorithm) if x5c else None
    passkey = register(idp, browser, token, algorithm=algorithm, fmt=fmt, x5c=x5c, attestation_key=attestation_key)
    started, request = passkey_challenge(idp, client, name)
    assert "AuthenticationResult" in answer(idp, client, started, name, browser.get(request, passkey))


def test_registrations_cognate_refuses(world):
    _, idp, pool, client, browser = world
    make_user(idp, pool, "bea")
    make_user(idp, pool, "cal")
    token = password_sign_in(idp, client, "bea")
    other = password_sign_in(idp, client, "cal")

    def complete(credential, code, with_token=token):
        return refused(lambda: idp.complete_web_authn_registration(AccessToken=with_token, Credential=credential), code)

    def fresh(**bend):
        return browser.create(idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"], **bend)[1]
    complete(fresh(origin="https://evil.example"), "WebAuthnOriginNotAllowedException")
    complete(fresh(origin="http://app.localhost.evil.example"), "WebAuthnOriginNotAllowedException")
    complete(fresh(rp_id="evil.example"), "WebAuthnRelyingPartyMismatchException")
    complete(fresh(type_="webauthn.get"), "WebAuthnClientMismatchException")
    complete(fresh(algorithm="ES384"), "WebAuthnCredentialNotSupportedException")
    complete(fresh(fmt="fido-u2f"), "WebAuthnCredentialNotSupportedException")
    complete(fresh(fmt="packed", attestation_key=Key("ES256")), "InvalidParameterException")  # self attestation by another key
    complete(fresh(challenge=b64url(b"\0" * 40)), "WebAuthnChallengeNotFoundException")  # forged
    complete(fresh(), "WebAuthnChallengeNotFoundException", with_token=other)  # bea's challenge, cal's token
    bent = fresh()
    bent["response"]["attestationObject"] = b64url(b"\xa3not cbor")
    complete(bent, "InvalidParameterException")
    bent = fresh()
    bent["id"] = bent["rawId"] = b64url(b"another id")
    complete(bent, "InvalidParameterException")
    refused(lambda: idp.complete_web_authn_registration(AccessToken=token, Credential={"type": "public-key"}), "InvalidParameterException")
    refused(lambda: idp.complete_web_authn_registration(AccessToken="not-a-token", Credential=fresh()), "NotAuthorizedException")
    assert idp.list_web_authn_credentials(AccessToken=token)["Credentials"] == []  # nothing half-kept
    # a challenge answers once: the same answer twice, then eight at once of one challenge
    credential = fresh()
    idp.complete_web_authn_registration(AccessToken=token, Credential=credential)
    complete(credential, "WebAuthnChallengeNotFoundException")
    credential = fresh()
    results = at_once([lambda: idp.complete_web_authn_registration(AccessToken=token, Credential=credential) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict)) == 1 and set(r for r in results if not isinstance(r, dict)) == {
        "WebAuthnChallengeNotFoundException"}, results
    assert len(idp.list_web_authn_credentials(AccessToken=token)["Credentials"]) == 2
    # user verification required: an authenticator that does not verify is refused
    idp.set_user_pool_mfa_config(UserPoolId=pool["Id"], WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"})
    try:
        lax = Authenticator(browser.origin, uv=False)
        options = idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
        assert options["authenticatorSelection"]["userVerification"] == "required"
        complete(lax.create(options)[1], "InvalidParameterException")
    finally:
        idp.set_user_pool_mfa_config(UserPoolId=pool["Id"], WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "preferred"})
    # bad configurations
    refused(lambda: idp.set_user_pool_mfa_config(UserPoolId=pool["Id"], WebAuthnConfiguration={"RelyingPartyId": "https://localhost:443"}),
            "InvalidParameterException")
    refused(lambda: idp.set_user_pool_mfa_config(UserPoolId=pool["Id"], WebAuthnConfiguration={"RelyingPartyId": "10.0.0.1"}),
            "InvalidParameterException")


def test_sign_ins_cognate_refuses(world):
    _, idp, pool, client, browser = world
    make_user(idp, pool, "dee")
    make_user(idp, pool, "eve")
    passkey = register(idp, browser, password_sign_in(idp, client, "dee"))
    hers = register(idp, browser, password_sign_in(idp, client, "eve"))

    def refused_answer(credential_for, message=None):
        started, request = passkey_challenge(idp, client, "dee")
        return refused(lambda: answer(idp, client, started, "dee", credential_for(request)), "NotAuthorizedException", message)
    refused_answer(lambda r: browser.get(r, passkey, origin="https://evil.example"))
    refused_answer(lambda r: browser.get(r, passkey, rp_id="evil.example"))
    refused_answer(lambda r: browser.get(r, passkey, signer=Key("ES256")))  # another key signed
    refused_answer(lambda r: browser.get(r, passkey, type_="webauthn.create"))
    refused_answer(lambda r: browser.get(r, hers))  # eve's passkey for dee's sign-in
    refused_answer(lambda r: browser.get(r, passkey, challenge=b64url(b"\1" * 32)))
    # a counter that goes backwards: a copied authenticator
    passkey.count = 10
    started, request = passkey_challenge(idp, client, "dee")
    assert "AuthenticationResult" in answer(idp, client, started, "dee", browser.get(request, passkey))
    assert "went backwards" in refused_answer(lambda r: browser.get(r, passkey, count=5))
    assert "went backwards" in refused_answer(lambda r: browser.get(r, passkey, count=11))  # nor may it stand still
    passkey.count = 11  # the real authenticator goes on from where it was (11)
    # a replayed assertion: the same session again, and the same answer to a new session
    started, request = passkey_challenge(idp, client, "dee")
    credential = browser.get(request, passkey)
    assert "AuthenticationResult" in answer(idp, client, started, "dee", credential)
    refused(lambda: answer(idp, client, started, "dee", credential), "NotAuthorizedException")
    again, _ = passkey_challenge(idp, client, "dee")
    refused(lambda: answer(idp, client, again, "dee", credential), "NotAuthorizedException")
    # eight answers at once with one assertion: one signs in
    started, request = passkey_challenge(idp, client, "dee")
    credential = browser.get(request, passkey)
    results = at_once([lambda: answer(idp, client, started, "dee", credential) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict) and "AuthenticationResult" in r) == 1, results
    # garbage where the answer goes
    started, _ = passkey_challenge(idp, client, "dee")
    refused(lambda: answer(idp, client, started, "dee", "{not json"), "InvalidParameterException")
    refused(lambda: idp.respond_to_auth_challenge(ClientId=client, ChallengeName="WEB_AUTHN", Session="forged" * 8,
                                                  ChallengeResponses={"USERNAME": "dee", "CREDENTIAL": credential}), "NotAuthorizedException")


def test_passkeys_are_listed_in_pages_and_deleted_by_their_owner_only(world):
    _, idp, pool, client, browser = world
    make_user(idp, pool, "fox")
    make_user(idp, pool, "gil")
    token = password_sign_in(idp, client, "fox")
    stranger = password_sign_in(idp, client, "gil")
    keys = [register(idp, browser, token) for _ in range(3)]
    first = idp.list_web_authn_credentials(AccessToken=token, MaxResults=2)
    second = idp.list_web_authn_credentials(AccessToken=token, MaxResults=2, NextToken=first["NextToken"])
    assert len(first["Credentials"]) == 2 and len(second["Credentials"]) == 1 and "NextToken" not in second
    assert sorted(c["CredentialId"] for c in first["Credentials"] + second["Credentials"]) == sorted(b64url(k.id) for k in keys)
    refused(lambda: idp.delete_web_authn_credential(AccessToken=stranger, CredentialId=b64url(keys[0].id)), "ResourceNotFoundException")
    refused(lambda: idp.delete_web_authn_credential(AccessToken=token, CredentialId="nosuchcredential"), "ResourceNotFoundException")
    results = at_once([lambda: idp.delete_web_authn_credential(AccessToken=token, CredentialId=b64url(keys[0].id)) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict)) == 1 and results.count("ResourceNotFoundException") == 7, results
    # a deleted passkey signs no one in
    started, request = passkey_challenge(idp, client, "fox")
    assert b64url(keys[0].id) not in [c["id"] for c in request["allowCredentials"]]
    refused(lambda: answer(idp, client, started, "fox", browser.get(request, keys[0])), "NotAuthorizedException")
    started, request = passkey_challenge(idp, client, "fox")
    assert "AuthenticationResult" in answer(idp, client, started, "fox", browser.get(request, keys[1]))  # the others still do


def test_a_user_has_twenty_passkeys_at_most(world):
    server, idp, pool, client, browser = world
    make_user(idp, pool, "hal")
    token = password_sign_in(idp, client, "hal")
    for _ in range(17):
        register(idp, browser, token)
    # eight registrations started at 17 and finished at once: three are kept, five refused
    credentials = [browser.create(idp.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"])[1]
                   for _ in range(8)]
    # (botocore retries LimitExceededException by default, and a retry finds its challenge spent: one try each)
    once = boto3.client("cognito-idp", endpoint_url=server.url, region_name="local", aws_access_key_id="unused",
                        aws_secret_access_key="unused", config=botocore.config.Config(retries={"total_max_attempts": 1}))
    results = at_once([lambda credential=credential: once.complete_web_authn_registration(AccessToken=token, Credential=credential)
                       for credential in credentials])
    assert sum(1 for r in results if isinstance(r, dict)) == 3 and results.count("LimitExceededException") == 5, results
    listed = idp.list_web_authn_credentials(AccessToken=token, MaxResults=20)
    assert len(listed["Credentials"]) == 20 and "NextToken" not in listed
    refused(lambda: idp.start_web_authn_registration(AccessToken=token), "LimitExceededException")


def test_names_no_one_holds_get_a_passkey_challenge_like_an_account(world):
    _, idp, pool, client, browser = world
    first, request = passkey_challenge(idp, client, "nobody-here")
    _, again = passkey_challenge(idp, client, "nobody-here")
    assert sorted(request) == ["allowCredentials", "challenge", "rpId", "timeout", "userVerification"]
    assert len(request["allowCredentials"]) == 1 and request["allowCredentials"][0]["id"] == again["allowCredentials"][0]["id"]
    assert request["challenge"] != again["challenge"]
    _, other = passkey_challenge(idp, client, "someone-else")
    assert other["allowCredentials"][0]["id"] != request["allowCredentials"][0]["id"]
    make_user(idp, pool, "ivy")
    ivy = register(idp, browser, password_sign_in(idp, client, "ivy"))
    refused(lambda: answer(idp, client, first, "nobody-here", browser.get(request, ivy)), "NotAuthorizedException")
    # a disabled account's passkey signs no one in: its challenge is a name-no-one-holds challenge
    idp.admin_disable_user(UserPoolId=pool["Id"], Username="ivy")
    started, request = passkey_challenge(idp, client, "ivy")
    assert [c["id"] for c in request["allowCredentials"]] != [b64url(ivy.id)]
    refused(lambda: answer(idp, client, started, "ivy", browser.get(request, ivy)), "NotAuthorizedException")


def test_a_pool_without_passkeys_refuses_them_and_required_mfa_follows_a_single_factor_passkey(world):
    server, idp, _, _, browser = world
    plain = idp.create_user_pool(PoolName="no-passkeys")["UserPool"]
    app = idp.create_user_pool_client(UserPoolId=plain["Id"], ClientName="app", ExplicitAuthFlows=["ALLOW_USER_AUTH"])["UserPoolClient"]["ClientId"]
    make_user(idp, plain, "jo")
    token = password_sign_in(idp, app, "jo")
    refused(lambda: idp.start_web_authn_registration(AccessToken=token), "WebAuthnNotEnabledException")
    refused(lambda: idp.initiate_auth(ClientId=app, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "jo", "PREFERRED_CHALLENGE": "WEB_AUTHN"}),
            "InvalidParameterException")
    # MFA required: a passkey that counts as one factor is followed by the second; one that verified the user, where it counts as two, is not
    strict = idp.create_user_pool(PoolName="strict", Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}})["UserPool"]
    idp.set_user_pool_mfa_config(UserPoolId=strict["Id"], MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True},
                                 WebAuthnConfiguration={"RelyingPartyId": "localhost"})
    app = idp.create_user_pool_client(UserPoolId=strict["Id"], ClientName="app", ExplicitAuthFlows=["ALLOW_USER_AUTH"])["UserPoolClient"]["ClientId"]
    make_user(idp, strict, "kit")
    # kit has no second factor yet: the password is followed by MFA_SETUP, so the passkey is registered with an admin-made token
    setup = idp.initiate_auth(ClientId=app, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "kit", "PREFERRED_CHALLENGE": "PASSWORD",
                                                                                   "PASSWORD": PASSWORD})
    assert setup["ChallengeName"] == "MFA_SETUP"
    import pyotp
    secret = idp.associate_software_token(Session=setup["Session"])
    verified = idp.verify_software_token(Session=secret["Session"], UserCode=pyotp.TOTP(secret["SecretCode"]).now())
    token = idp.respond_to_auth_challenge(ClientId=app, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                          ChallengeResponses={"USERNAME": "kit"})["AuthenticationResult"]["AccessToken"]
    passkey = register(idp, browser, token)
    started, request = passkey_challenge(idp, app, "kit")
    assert answer(idp, app, started, "kit", browser.get(request, passkey))["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    idp.set_user_pool_mfa_config(UserPoolId=strict["Id"], MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True},
                                 WebAuthnConfiguration={"RelyingPartyId": "localhost", "FactorConfiguration": "MULTI_FACTOR_WITH_USER_VERIFICATION"})
    started, request = passkey_challenge(idp, app, "kit")
    assert "AuthenticationResult" in answer(idp, app, started, "kit", browser.get(request, passkey))
    started, request = passkey_challenge(idp, app, "kit")
    assert answer(idp, app, started, "kit", browser.get(request, passkey, uv=False))["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

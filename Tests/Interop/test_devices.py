"""Remembered devices (the pool's DeviceConfiguration) as Cognito's SDKs use them, driven by
boto3 with pycognito's device helpers (generate_hash_device, AWSSRP's SRP and device proofs):
a sign-in hands out NewDeviceMetadata; ConfirmDevice registers the device's SRP verifier; a
later sign-in naming the device answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER and skips
the emailed second factor while the device is remembered; not remembered or forgotten, the
factor is asked again. The device operations and their Admin forms, and their refusals."""
import re

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex

import smtp_server
from conftest import ADMIN, Server, at_once, claims, cognito, free_port, refused

PASSWORD = "Corr3ct-Horse!"


class World:
    def __init__(self, data_dir):
        port = free_port()
        self.controller, self.inbox = smtp_server.start(port)
        self.server = Server(data_dir, COGNATE_SMTP_URL=f"smtp://127.0.0.1:{port}", COGNATE_MAIL_FROM="no-reply@cognate.test", **ADMIN)
        self.idp = cognito(self.server.url)
        self.read = set()

    def pool(self, name, **device):
        pool = self.idp.create_user_pool(PoolName=name, MfaConfiguration="OPTIONAL", AutoVerifiedAttributes=["email"],
                                         **({"DeviceConfiguration": device} if device else {}))["UserPool"]
        client = self.idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app",
                                                  ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
                                                                     "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        return pool, client

    def user(self, pool, name):
        """A confirmed user whose second factor is a code emailed to a verified address."""
        self.idp.admin_create_user(UserPoolId=pool["Id"], Username=name, MessageAction="SUPPRESS", UserAttributes=[
            {"Name": "email", "Value": f"{name}@example.com"}, {"Name": "email_verified", "Value": "true"}])
        self.idp.admin_set_user_password(UserPoolId=pool["Id"], Username=name, Password=PASSWORD, Permanent=True)
        self.idp.admin_set_user_mfa_preference(UserPoolId=pool["Id"], Username=name, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})

    def emailed_code(self, name):
        """The code in the newest mail to the user not read yet (mails may arrive out of order)."""
        import time
        deadline = time.time() + 15
        while time.time() < deadline:
            fresh = [n for n, mail in enumerate(self.inbox.messages) if mail["to"] == [f"{name}@example.com"] and n not in self.read]
            if fresh:
                self.read.add(fresh[-1])
                body = self.inbox.messages[fresh[-1]]["message"].get_body(preferencelist=("plain",)).get_content()
                return re.search(r"(\d{6})", body).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no new mail to {name}")

    def stop(self):
        self.server.stop()
        self.controller.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(str(tmp_path_factory.mktemp("devices")))
    yield world
    world.stop()


def password_step(world, pool, client, name, device=None):
    """USER_SRP_AUTH and PASSWORD_VERIFIER (naming the device, when there is one): what follows the password."""
    srp = AWSSRP(username=name, password=PASSWORD, pool_id=pool["Id"], client_id=client, client=world.idp,
                 **({"device_key": device[0], "device_group_key": device[1], "device_password": device[2]} if device else {}))
    parameters = srp.get_auth_params()
    started = world.idp.initiate_auth(ClientId=client, AuthFlow="USER_SRP_AUTH", AuthParameters=parameters)
    answer = srp.process_challenge(started["ChallengeParameters"], parameters)
    return srp, world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)


def device_step(world, client, srp, after_password):
    """DEVICE_SRP_AUTH (with the password step's session) and the DEVICE_PASSWORD_VERIFIER answer pycognito computes."""
    assert after_password["ChallengeName"] == "DEVICE_SRP_AUTH", after_password
    verifier = world.idp.respond_to_auth_challenge(
        ClientId=client, ChallengeName="DEVICE_SRP_AUTH", Session=after_password["Session"],
        ChallengeResponses={"USERNAME": srp.username, "DEVICE_KEY": srp.device_key, "SRP_A": long_to_hex(srp.large_a_value)})
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER", verifier
    return verifier, srp.process_device_challenge(verifier["ChallengeParameters"])


def answer_email(world, client, name, challenge):
    assert challenge["ChallengeName"] == "EMAIL_OTP", challenge
    return world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="EMAIL_OTP", Session=challenge["Session"],
                                               ChallengeResponses={"USERNAME": name, "EMAIL_OTP_CODE": world.emailed_code(name)})


def remember(world, pool, client, name, device_name="laptop"):
    """A first sign-in (password, emailed code) and ConfirmDevice: (device key, group key, device password, tokens)."""
    _, challenge = password_step(world, pool, client, name)
    result = answer_email(world, client, name, challenge)["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    assert claims(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    device_password, config = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    confirmed = world.idp.confirm_device(AccessToken=result["AccessToken"], DeviceKey=metadata["DeviceKey"],
                                         DeviceSecretVerifierConfig=config, DeviceName=device_name)
    return (metadata["DeviceKey"], metadata["DeviceGroupKey"], device_password), result, confirmed


def test_a_remembered_device_skips_the_second_factor_until_it_is_forgotten(world):
    pool, client = world.pool("remembering", ChallengeRequiredOnNewDevice=True, DeviceOnlyRememberedOnUserPrompt=False)
    assert world.idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["DeviceConfiguration"] == {
        "ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
    world.user(pool, "kim")
    device, first, confirmed = remember(world, pool, client, "kim")
    assert confirmed["UserConfirmationNecessary"] is False
    listed = world.idp.list_devices(AccessToken=first["AccessToken"])["Devices"]
    assert [entry["DeviceKey"] for entry in listed] == [device[0]]
    attributes = {a["Name"]: a["Value"] for a in listed[0]["DeviceAttributes"]}
    assert attributes["device_name"] == "laptop" and attributes["dev:device_remembered_status"] == "remembered"

    # the device proves itself after the password, and no code is asked for
    srp, after_password = password_step(world, pool, client, "kim", device)
    verifier, answer = device_step(world, client, srp, after_password)
    mails = len(world.inbox.messages)
    signed_in = world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER", ChallengeResponses=answer)
    result = signed_in["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result and claims(result["AccessToken"])["device_key"] == device[0]
    assert world.idp.get_user(AccessToken=result["AccessToken"])["Username"] == "kim" and len(world.inbox.messages) == mails
    assert world.idp.get_device(AccessToken=result["AccessToken"], DeviceKey=device[0])["Device"]["DeviceLastAuthenticatedDate"]
    # refusals: the same answer again, a wrong device secret, a DEVICE_SRP_AUTH without its session or for another device
    refused(lambda: world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER", ChallengeResponses=answer),
            "NotAuthorizedException")
    wrong = (device[0], device[1], "not-the-device-password")
    srp, after_password = password_step(world, pool, client, "kim", wrong)
    _, wrong_answer = device_step(world, client, srp, after_password)
    refused(lambda: world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                                        ChallengeResponses=wrong_answer), "NotAuthorizedException")
    srp, after_password = password_step(world, pool, client, "kim", device)
    refused(lambda: world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_SRP_AUTH", ChallengeResponses={
        "USERNAME": "kim", "DEVICE_KEY": device[0], "SRP_A": long_to_hex(srp.large_a_value)}), "InvalidParameterException")
    refused(lambda: world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_SRP_AUTH", Session=after_password["Session"],
                                                        ChallengeResponses={"USERNAME": "kim", "DEVICE_KEY": device[0][:-1] + ("1" if device[0][-1] == "0" else "0"),
                                                                            "SRP_A": long_to_hex(srp.large_a_value)}), "NotAuthorizedException")
    # pycognito's own authenticate_user sends DEVICE_SRP_AUTH without the session: refused, the password alone signs no device in
    with pytest.raises(ClientError):
        AWSSRP(username="kim", password=PASSWORD, pool_id=pool["Id"], client_id=client, client=world.idp, device_key=device[0],
               device_group_key=device[1], device_password=device[2]).authenticate_user()
    # eight answers at once with one SECRET_BLOCK: one signs in
    srp, after_password = password_step(world, pool, client, "kim", device)
    _, answer = device_step(world, client, srp, after_password)
    results = at_once([lambda: world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                                                    ChallengeResponses=answer) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict)) == 1 and results.count("NotAuthorizedException") == 7, results

    # not remembered: the device still proves itself, and the code is asked again
    world.idp.update_device_status(AccessToken=result["AccessToken"], DeviceKey=device[0], DeviceRememberedStatus="not_remembered")
    srp, after_password = password_step(world, pool, client, "kim", device)
    _, answer = device_step(world, client, srp, after_password)
    challenge = world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER", ChallengeResponses=answer)
    tokens = answer_email(world, client, "kim", challenge)["AuthenticationResult"]
    assert claims(tokens["AccessToken"])["device_key"] == device[0] and "NewDeviceMetadata" not in tokens
    world.idp.admin_update_device_status(UserPoolId=pool["Id"], Username="kim", DeviceKey=device[0], DeviceRememberedStatus="remembered")
    srp, after_password = password_step(world, pool, client, "kim", device)
    _, answer = device_step(world, client, srp, after_password)
    assert "AuthenticationResult" in world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                                                         ChallengeResponses=answer)

    # forgotten (of eight at once, one forgets): a sign-in naming it is a new device's again, with its code and a new device key
    results = at_once([lambda: world.idp.forget_device(AccessToken=tokens["AccessToken"], DeviceKey=device[0]) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict)) == 1 and results.count("ResourceNotFoundException") == 7, results
    refused(lambda: world.idp.get_device(AccessToken=tokens["AccessToken"], DeviceKey=device[0]), "ResourceNotFoundException")
    _, challenge = password_step(world, pool, client, "kim", device)
    again = answer_email(world, client, "kim", challenge)["AuthenticationResult"]
    assert again["NewDeviceMetadata"]["DeviceKey"] != device[0]


def test_a_refresh_token_handed_out_with_a_device_renews_only_naming_it(world):
    """As Cognito: tokens handed out with a device renew (REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken) only naming that
    device (DEVICE_KEY, DeviceKey) once it is confirmed, and the renewed access tokens carry its key; without it, with
    another key, before ConfirmDevice or after ForgetDevice the answer is "Invalid Refresh Token"."""
    pool, client = world.pool("renewing", ChallengeRequiredOnNewDevice=False, DeviceOnlyRememberedOnUserPrompt=False)
    world.user(pool, "ray")
    _, challenge = password_step(world, pool, client, "ray")
    first = answer_email(world, client, "ray", challenge)["AuthenticationResult"]
    key, group = first["NewDeviceMetadata"]["DeviceKey"], first["NewDeviceMetadata"]["DeviceGroupKey"]

    def renew(**parameters):
        return world.idp.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                       AuthParameters={"REFRESH_TOKEN": first["RefreshToken"], **parameters})["AuthenticationResult"]

    # the device is not confirmed yet: refused even naming it
    refused(lambda: renew(DEVICE_KEY=key), "NotAuthorizedException", "Invalid Refresh Token")
    _, config = generate_hash_device(group, key)
    world.idp.confirm_device(AccessToken=first["AccessToken"], DeviceKey=key, DeviceSecretVerifierConfig=config, DeviceName="phone")
    renewed = renew(DEVICE_KEY=key)
    assert claims(renewed["AccessToken"])["device_key"] == key and claims(renewed["AccessToken"])["username"] == "ray"
    assert "RefreshToken" not in renewed
    got = world.idp.get_tokens_from_refresh_token(ClientId=client, RefreshToken=first["RefreshToken"], DeviceKey=key)["AuthenticationResult"]
    assert claims(got["AccessToken"])["device_key"] == key
    # no key, another key (one character changed), another user's device: refused, and the token still works after
    other = key[:-1] + ("1" if key[-1] == "0" else "0")
    world.user(pool, "sam")
    _, challenge = password_step(world, pool, client, "sam")
    sams = answer_email(world, client, "sam", challenge)["AuthenticationResult"]
    _, sams_config = generate_hash_device(sams["NewDeviceMetadata"]["DeviceGroupKey"], sams["NewDeviceMetadata"]["DeviceKey"])
    world.idp.confirm_device(AccessToken=sams["AccessToken"], DeviceKey=sams["NewDeviceMetadata"]["DeviceKey"], DeviceSecretVerifierConfig=sams_config)
    for parameters in ({}, {"DEVICE_KEY": other}, {"DEVICE_KEY": sams["NewDeviceMetadata"]["DeviceKey"]}, {"DEVICE_KEY": ""}):
        refused(lambda: renew(**parameters), "NotAuthorizedException", "Invalid Refresh Token")
    refused(lambda: world.idp.get_tokens_from_refresh_token(ClientId=client, RefreshToken=first["RefreshToken"]),
            "NotAuthorizedException", "Invalid Refresh Token")
    # the token endpoint names no device: the grant is refused as the API refuses it
    import requests
    answer = requests.post(f"{world.server.url}/{pool['Id']}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": client, "refresh_token": first["RefreshToken"]}, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text
    # eight renewals at once naming the device all succeed (the client does not rotate), each with the key
    results = at_once([lambda: renew(DEVICE_KEY=key) for _ in range(8)])
    assert all(isinstance(result, dict) and claims(result["AccessToken"])["device_key"] == key for result in results), results
    # a rotating client: the token that replaces one is bound to the same device, and asks for it in turn
    rotating = world.idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="rotating", RefreshTokenRotation={"Feature": "ENABLED"},
                                                 ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    _, challenge = password_step(world, pool, rotating, "sam")
    signed_in = answer_email(world, rotating, "sam", challenge)["AuthenticationResult"]
    sams_key, sams_group = signed_in["NewDeviceMetadata"]["DeviceKey"], signed_in["NewDeviceMetadata"]["DeviceGroupKey"]
    world.idp.confirm_device(AccessToken=signed_in["AccessToken"], DeviceKey=sams_key,
                             DeviceSecretVerifierConfig=generate_hash_device(sams_group, sams_key)[1])
    refused(lambda: world.idp.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=signed_in["RefreshToken"]),
            "NotAuthorizedException", "Invalid Refresh Token")
    rotated = world.idp.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=signed_in["RefreshToken"],
                                                      DeviceKey=sams_key)["AuthenticationResult"]
    assert rotated["RefreshToken"] != signed_in["RefreshToken"] and claims(rotated["AccessToken"])["device_key"] == sams_key
    refused(lambda: world.idp.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=rotated["RefreshToken"], DeviceKey=key),
            "NotAuthorizedException", "Invalid Refresh Token")
    again = world.idp.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=rotated["RefreshToken"],
                                                    DeviceKey=sams_key)["AuthenticationResult"]
    assert claims(again["AccessToken"])["device_key"] == sams_key
    # forgotten: the device's refresh tokens renew no more
    world.idp.forget_device(AccessToken=renewed["AccessToken"], DeviceKey=key)
    refused(lambda: renew(DEVICE_KEY=key), "NotAuthorizedException", "Invalid Refresh Token")


def test_device_operations_admin_forms_and_refusals(world):
    pool, client = world.pool("devices-admin", ChallengeRequiredOnNewDevice=True, DeviceOnlyRememberedOnUserPrompt=True)
    world.user(pool, "lee")
    world.user(pool, "max")
    device, first, confirmed = remember(world, pool, client, "lee", device_name="phone")
    # remembered only when the user says so: until then the code is still asked after the device's proof
    assert confirmed["UserConfirmationNecessary"] is True
    shown = world.idp.admin_get_device(UserPoolId=pool["Id"], Username="lee", DeviceKey=device[0])["Device"]
    assert {a["Name"]: a["Value"] for a in shown["DeviceAttributes"]}["dev:device_remembered_status"] == "not_remembered"
    srp, after_password = password_step(world, pool, client, "lee", device)
    _, answer = device_step(world, client, srp, after_password)
    assert world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                               ChallengeResponses=answer)["ChallengeName"] == "EMAIL_OTP"
    world.idp.update_device_status(AccessToken=first["AccessToken"], DeviceKey=device[0], DeviceRememberedStatus="remembered")
    srp, after_password = password_step(world, pool, client, "lee", device)
    _, answer = device_step(world, client, srp, after_password)
    assert "AuthenticationResult" in world.idp.respond_to_auth_challenge(ClientId=client, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                                                         ChallengeResponses=answer)
    # USER_PASSWORD_AUTH naming the device is asked for the device's proof too
    plain = world.idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": "lee", "PASSWORD": PASSWORD, "DEVICE_KEY": device[0]})
    assert plain["ChallengeName"] == "DEVICE_SRP_AUTH"
    # ConfirmDevice's refusals: twice, a key not handed out, another's device, a verifier that is not one, a token for another device
    again = generate_hash_device(device[1], device[0])[1]
    refused(lambda: world.idp.confirm_device(AccessToken=first["AccessToken"], DeviceKey=device[0], DeviceSecretVerifierConfig=again),
            "InvalidParameterException", "The device has already been confirmed.")
    _, challenge = password_step(world, pool, client, "max")
    theirs = answer_email(world, client, "max", challenge)["AuthenticationResult"]
    refused(lambda: world.idp.confirm_device(AccessToken=theirs["AccessToken"], DeviceKey=device[0], DeviceSecretVerifierConfig=again),
            "NotAuthorizedException")
    key = theirs["NewDeviceMetadata"]["DeviceKey"]
    refused(lambda: world.idp.confirm_device(AccessToken=theirs["AccessToken"], DeviceKey=key,
                                             DeviceSecretVerifierConfig={"PasswordVerifier": "not base64!", "Salt": "AAAA"}),
            "InvalidParameterException")
    config = generate_hash_device(theirs["NewDeviceMetadata"]["DeviceGroupKey"], key)[1]
    world.idp.confirm_device(AccessToken=theirs["AccessToken"], DeviceKey=key, DeviceSecretVerifierConfig=config)
    refused(lambda: world.idp.confirm_device(AccessToken=theirs["AccessToken"], DeviceKey=key, DeviceSecretVerifierConfig=config),
            "InvalidParameterException")
    # one user's device is not another's
    refused(lambda: world.idp.get_device(AccessToken=theirs["AccessToken"], DeviceKey=device[0]), "ResourceNotFoundException")
    refused(lambda: world.idp.forget_device(AccessToken=theirs["AccessToken"], DeviceKey=device[0]), "ResourceNotFoundException")
    refused(lambda: world.idp.admin_get_device(UserPoolId=pool["Id"], Username="max", DeviceKey=device[0]), "ResourceNotFoundException")
    assert [d["DeviceKey"] for d in world.idp.admin_list_devices(UserPoolId=pool["Id"], Username="max")["Devices"]] == [key]
    refused(lambda: world.idp.admin_list_devices(UserPoolId=pool["Id"], Username="nobody"), "UserNotFoundException")
    refused(lambda: world.idp.list_devices(AccessToken="not-a-token"), "NotAuthorizedException")
    world.idp.admin_forget_device(UserPoolId=pool["Id"], Username="lee", DeviceKey=device[0])
    assert world.idp.admin_list_devices(UserPoolId=pool["Id"], Username="lee")["Devices"] == []
    refused(lambda: world.idp.admin_forget_device(UserPoolId=pool["Id"], Username="lee", DeviceKey=device[0]), "ResourceNotFoundException")
    # a user's devices go with the user
    world.idp.admin_delete_user(UserPoolId=pool["Id"], Username="max")
    world.user(pool, "max")
    assert world.idp.admin_list_devices(UserPoolId=pool["Id"], Username="max")["Devices"] == []


def test_a_pool_that_tracks_no_devices_hands_none_out(world):
    pool, client = world.pool("no-devices")
    assert "DeviceConfiguration" not in world.idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    world.idp.admin_create_user(UserPoolId=pool["Id"], Username="ned", MessageAction="SUPPRESS")
    world.idp.admin_set_user_password(UserPoolId=pool["Id"], Username="ned", Password=PASSWORD, Permanent=True)
    result = world.idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "ned", "PASSWORD": PASSWORD, "DEVICE_KEY": "local_whatever"})["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result and "device_key" not in claims(result["AccessToken"])
    config = generate_hash_device("-group", "local_whatever")[1]
    refused(lambda: world.idp.confirm_device(AccessToken=result["AccessToken"], DeviceKey="local_whatever", DeviceSecretVerifierConfig=config),
            "InvalidParameterException")

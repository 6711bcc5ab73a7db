"""Groups' IAM roles in the ID token, as Cognito puts them there for identity pools: every role of
the user's groups (`cognito:roles`, by precedence) and the preferred one (`cognito:preferred_role`:
the role of the group that takes precedence; none when groups tied for it name different roles)."""
from conftest import ADMIN, Server, claims, cognito

PASSWORD = "Roles-Passw0rd!"


def arn(name):
    return f"arn:aws:iam::123456789012:role/{name}"


def test_group_roles_become_the_id_tokens_roles_and_preferred_role(data_dir):
    server = Server(data_dir, **ADMIN)
    try:
        idp = cognito(server.url)
        pool = idp.create_user_pool(PoolName="roles")["UserPool"]["Id"]
        client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        for name, precedence, role in [("editors", 1, "Editor"), ("reviewers", 1, "Reviewer"), ("owners", 0, "Owner"),
                                       ("guests", None, "Guest"), ("plain", 0, None), ("copyeditors", 1, "Editor")]:
            extra = {"Precedence": precedence} if precedence is not None else {}
            if role:
                extra["RoleArn"] = arn(role)
            idp.create_group(UserPoolId=pool, GroupName=name, **extra)

        def tokens(name, groups):
            idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS", TemporaryPassword="Temp-Passw0rd!1")
            idp.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
            for group in groups:
                idp.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName=group)
            result = idp.admin_initiate_auth(UserPoolId=pool, ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                             AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})["AuthenticationResult"]
            return claims(result["IdToken"]), claims(result["AccessToken"])

        # tied at precedence 1 with different roles: both roles, no preferred one
        tied, access = tokens("tia", ["editors", "reviewers"])
        assert tied["cognito:roles"] == [arn("Editor"), arn("Reviewer")] and "cognito:preferred_role" not in tied
        assert "cognito:roles" not in access and access["cognito:groups"] == ["editors", "reviewers"]
        # a group at precedence 0 takes precedence; a group without a role adds none
        ruled, _ = tokens("otto", ["editors", "reviewers", "owners", "plain"])
        assert ruled["cognito:roles"] == [arn("Owner"), arn("Editor"), arn("Reviewer")]
        assert ruled["cognito:preferred_role"] == arn("Owner")
        # tied groups naming the same role: that role is preferred; a group without precedence alone still is
        same, _ = tokens("sam", ["editors", "copyeditors"])
        assert same["cognito:roles"] == [arn("Editor")] and same["cognito:preferred_role"] == arn("Editor")
        guest, _ = tokens("gus", ["guests"])
        assert guest["cognito:roles"] == [arn("Guest")] and guest["cognito:preferred_role"] == arn("Guest")
        # no groups with roles: neither claim
        nobody, _ = tokens("nora", ["plain"])
        assert "cognito:roles" not in nobody and "cognito:preferred_role" not in nobody
    finally:
        server.stop()

"""Terms documents through boto3 (CreateTerms, DescribeTerms, DescribeTermsByClient, ListTerms,
UpdateTerms, DeleteTerms) and on the hosted sign-up page, linked in the page's language."""
import html

import pytest
import requests

from conftest import ADMIN, Server, at_once, cognito, refused


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = Server(str(tmp_path_factory.mktemp("terms")), **ADMIN)
    idp = cognito(server.url)
    pool = idp.create_user_pool(PoolName="terms")["UserPool"]["Id"]

    def app(name):
        return idp.create_user_pool_client(UserPoolId=pool, ClientName=name, AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                           AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"])["UserPoolClient"]["ClientId"]
    yield server, idp, pool, app
    server.stop()


def signup_page(server, pool, client, **headers):
    query = (f"response_type=code&client_id={client}&redirect_uri=http://localhost:3000/cb&scope=openid"
             "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
    page = requests.get(f"{server.url}/{pool}/signup?{query}", headers=headers)
    assert page.status_code == 200, page.text
    return html.unescape(page.text)


def test_terms_are_kept_per_client_and_linked_on_the_sign_up_page(world):
    server, idp, pool, app = world
    client = app("web")
    assert 'id="terms"' not in signup_page(server, pool, client)
    made = idp.create_terms(UserPoolId=pool, ClientId=client, TermsName="terms-of-use", TermsSource="LINK", Enforcement="NONE",
                            Links={"cognito:default": "https://example.com/terms", "cognito:german": "https://example.com/de/agb"})["Terms"]
    assert made["ClientId"] == client and made["UserPoolId"] == pool and made["TermsName"] == "terms-of-use" and len(made["TermsId"]) == 36
    privacy = idp.create_terms(UserPoolId=pool, ClientId=client, TermsName="privacy-policy", TermsSource="LINK", Enforcement="NONE",
                               Links={"cognito:default": "https://example.com/privacy"})["Terms"]
    assert idp.describe_terms(UserPoolId=pool, TermsId=made["TermsId"])["Terms"]["Links"] == made["Links"]
    assert idp.describe_terms_by_client(UserPoolId=pool, ClientId=client, TermsName="privacy-policy")["Terms"]["TermsId"] == privacy["TermsId"]
    listed = idp.list_terms(UserPoolId=pool)["Terms"]
    assert sorted(t["TermsId"] for t in listed) == sorted([made["TermsId"], privacy["TermsId"]])
    first = idp.list_terms(UserPoolId=pool, MaxResults=1)
    second = idp.list_terms(UserPoolId=pool, MaxResults=1, NextToken=first["NextToken"])
    assert len(first["Terms"]) == 1 and len(second["Terms"]) == 1 and "NextToken" not in second
    # on the sign-up page: the page language's link, else the default one
    page = signup_page(server, pool, client)
    assert 'href="https://example.com/terms"' in page and 'href="https://example.com/privacy"' in page and "Terms of use" in page
    german = signup_page(server, pool, client, **{"Accept-Language": "de"})
    assert 'href="https://example.com/de/agb"' in german and "Nutzungsbedingungen" in german
    # changed, then deleted
    changed = idp.update_terms(UserPoolId=pool, TermsId=made["TermsId"], Links={"cognito:default": "https://example.com/terms-v2"})["Terms"]
    assert changed["Links"] == {"cognito:default": "https://example.com/terms-v2"} and changed["TermsName"] == "terms-of-use"
    assert 'href="https://example.com/terms-v2"' in signup_page(server, pool, client)
    idp.delete_terms(UserPoolId=pool, TermsId=made["TermsId"])
    refused(lambda: idp.describe_terms(UserPoolId=pool, TermsId=made["TermsId"]), "ResourceNotFoundException")
    assert "terms-v2" not in signup_page(server, pool, client)
    # an UpdateUserPoolClient keeps them
    idp.update_user_pool_client(UserPoolId=pool, ClientId=client, ClientName="web2", AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                                AllowedOAuthScopes=["openid"], CallbackURLs=["http://localhost:3000/cb"])
    assert idp.describe_terms(UserPoolId=pool, TermsId=privacy["TermsId"])["Terms"]["ClientId"] == client


def test_terms_refusals(world):
    _, idp, pool, app = world
    client = app("refusals")
    ok = {"UserPoolId": pool, "ClientId": client, "TermsName": "terms-of-use", "TermsSource": "LINK", "Enforcement": "NONE",
          "Links": {"cognito:default": "https://example.com/t"}}
    for bad in [{"Links": {"cognito:default": "javascript:alert(1)"}}, {"Links": {"cognito:default": "http://example.com/t"}},
                {"Links": {"cognito:default": "/relative"}}, {"Links": {"cognito:klingon": "https://example.com/t"}}, {"Links": {}},
                {"TermsName": "cookie-policy"}, {"Enforcement": "REQUIRED"}]:
        refused(lambda: idp.create_terms(**(ok | bad)), "InvalidParameterException")
    refused(lambda: idp.create_terms(**(ok | {"ClientId": "nosuchclient0000000000000"})), "ResourceNotFoundException")
    refused(lambda: idp.create_terms(**(ok | {"UserPoolId": "local_Nope12345"})), "ResourceNotFoundException")
    refused(lambda: idp.describe_terms(UserPoolId=pool, TermsId="6f1c1c4e-0000-4000-8000-000000000000"), "ResourceNotFoundException")
    refused(lambda: idp.describe_terms_by_client(UserPoolId=pool, ClientId=client, TermsName="terms-of-use"), "ResourceNotFoundException")
    # eight creations of one name at once: one is made
    results = at_once([lambda: idp.create_terms(**ok) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict)) == 1 and results.count("TermsExistsException") == 7, results
    made = [r for r in results if isinstance(r, dict)][0]["Terms"]
    privacy = idp.create_terms(**(ok | {"TermsName": "privacy-policy"}))["Terms"]
    refused(lambda: idp.update_terms(UserPoolId=pool, TermsId=privacy["TermsId"], TermsName="terms-of-use"), "TermsExistsException")
    refused(lambda: idp.update_terms(UserPoolId=pool, TermsId=made["TermsId"], Links={"cognito:default": "ftp://example.com"}),
            "InvalidParameterException")
    results = at_once([lambda: idp.delete_terms(UserPoolId=pool, TermsId=made["TermsId"]) for _ in range(8)])
    assert sum(1 for r in results if isinstance(r, dict)) == 1 and results.count("ResourceNotFoundException") == 7, results

"""Start-up as an operator meets it: the banner, configuration errors, the master key, the config file."""
import os
import stat

from conftest import Server, run_command


def test_help_lists_the_commands(data_dir):
    result = run_command(["--help"], data_dir)
    assert result.returncode == 0
    assert "serve" in result.stdout and "keys" in result.stdout


def test_first_start_banner_names_issuer_discovery_and_admin_key(data_dir):
    server = Server(data_dir)
    try:
        out = server.output()
        assert "Created user pool local_" in out and "demo client" in out
        assert "http://localhost:3000/callback" in out
        assert "COGNATE_ADMIN_ACCESS_KEY_ID=" in out and "COGNATE_ADMIN_SECRET_ACCESS_KEY=" in out
        key_file = os.path.join(data_dir, "master.key")
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    finally:
        server.stop()
    second = Server(data_dir)
    try:
        assert "COGNATE_ADMIN_SECRET_ACCESS_KEY=" not in second.output(), "the admin secret is printed once"
    finally:
        second.stop()


def test_bad_environment_stops_startup_naming_each_variable(data_dir):
    result = run_command(["serve", "--port", "1"], data_dir, COGNATE_REGION="Bad Region", COGNATE_PUBLIC_URL="nope")
    assert result.returncode == 1
    assert "COGNATE_REGION" in result.stderr and "COGNATE_PUBLIC_URL" in result.stderr
    assert not os.path.exists(os.path.join(data_dir, "cognate.sqlite"))


def test_wrong_master_key_refuses_and_regenerates_nothing(data_dir):
    Server(data_dir).stop()
    key_file = os.path.join(data_dir, "master.key")
    before = open(key_file).read()
    result = run_command(["serve", "--port", "1"], data_dir, COGNATE_MASTER_KEY="A" * 43 + "=")
    assert result.returncode == 1
    assert "COGNATE_MASTER_KEY does not match" in result.stderr
    assert open(key_file).read() == before
    os.remove(key_file)
    result = run_command(["serve", "--port", "1"], data_dir)
    assert result.returncode == 1
    assert "never regenerated" in result.stderr
    assert not os.path.exists(key_file)


def test_corrupt_config_file_names_file_line_and_field(data_dir):
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write("pools:\n  - name: shop\n    clients:\n      - name: web\n        callbackURLs: [http://evil.example/cb]\n"
                "        allowedOAuthFlows: [code]\n")
    result = run_command(["serve", "--port", "1", "--config", config], data_dir)
    assert result.returncode == 1
    assert f"{config}:5:" in result.stderr
    assert "pools[0].clients[0].callbackURLs[0]" in result.stderr
    assert not os.path.exists(os.path.join(data_dir, "cognate.sqlite"))


def test_config_file_applies_once_then_changes_nothing(data_dir):
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write("pools:\n  - name: shop\n    id: local_Shop12345\n    users:\n      - username: alice\n"
                "        password: Correct-Horse-9\n")
    first = Server(data_dir, args=["--config", config])
    first.stop()
    assert "Pool local_Shop12345 (shop)" in first.output()
    second = Server(data_dir, args=["--config", config])
    second.stop()
    assert "already applied, nothing changed" in second.output()


def test_config_from_environment_variable(data_dir):
    config = os.path.join(data_dir, "cognate.yaml")
    with open(config, "w") as f:
        f.write("pools:\n  - name: env\n    id: local_EnvPool12\n")
    server = Server(data_dir, COGNATE_CONFIG=config)
    server.stop()
    assert "Pool local_EnvPool12 (env)" in server.output()


def test_unopenable_database_is_a_clear_error(data_dir):
    result = run_command(["serve", "--port", "1"], data_dir, COGNATE_DATABASE_URL="sqlite:///proc/cognate/x.sqlite")
    assert result.returncode == 1
    assert "cannot open the database" in result.stderr

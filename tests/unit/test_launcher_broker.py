"""`make run` gets itself a broker when it can, and says exactly what to do when it
cannot (common.launcher.ensure_broker). Fakes stand for the machine: nothing is
installed, started or uninstalled."""
import pytest

from common.launcher import APT_INSTALL_RABBITMQ, Host, ensure_broker

LOCAL = "amqp://guest:guest@127.0.0.1:5672/"
SERVER = "/usr/sbin/rabbitmq-server"


class Machine:
    """A fake host: what is installed, who we are, and what each command does."""

    def __init__(self, installed=False, root=True, apt=True, answers_after=None, apt_works=True):
        self.installed = installed
        self.root, self.apt, self.apt_works = root, apt, apt_works
        self.answers_after = answers_after  # the command after which the broker answers
        self.answering = False
        self.commands = []

    def run(self, command, check=False):
        self.commands.append(command)
        if command == ["sh", "-c", APT_INSTALL_RABBITMQ] and self.apt_works:
            self.installed = True
        if self.answers_after == command[0]:
            self.answering = True
        return type("Completed", (), {"returncode": 0 if self.apt_works else 100})()

    def host(self):
        return Host(broker_answers=lambda uri: self.answering,
                    installed_rabbitmq=lambda: SERVER if self.installed else None,
                    is_root=lambda: self.root, has_apt=lambda: self.apt,
                    run=self.run, sleep=lambda seconds: None)


def test_a_broker_that_answers_is_used_as_it_is():
    machine = Machine()
    machine.answering = True
    ensure_broker(LOCAL, host=machine.host())
    assert machine.commands == []


def test_an_installed_rabbitmq_is_started(capsys):
    machine = Machine(installed=True, answers_after=SERVER)
    ensure_broker(LOCAL, host=machine.host())
    assert machine.commands == [[SERVER, "-detached"]]
    assert f"starting the local RabbitMQ ({SERVER} -detached)" in capsys.readouterr().out


def test_as_root_with_apt_it_installs_rabbitmq_then_starts_it(capsys):
    machine = Machine(installed=False, root=True, apt=True, answers_after=SERVER)
    ensure_broker(LOCAL, host=machine.host())
    assert machine.commands == [["sh", "-c", APT_INSTALL_RABBITMQ], [SERVER, "-detached"]]
    out = capsys.readouterr().out
    assert "installing Debian's rabbitmq-server as root" in out and APT_INSTALL_RABBITMQ in out


def test_a_broker_the_package_started_itself_is_not_started_again():
    machine = Machine(installed=False, answers_after="sh")
    ensure_broker(LOCAL, host=machine.host())
    assert machine.commands == [["sh", "-c", APT_INSTALL_RABBITMQ]]


def test_not_root_it_says_the_sudo_command_and_installs_nothing():
    machine = Machine(installed=False, root=False, apt=True)
    with pytest.raises(SystemExit) as stopped:
        ensure_broker(LOCAL, host=machine.host())
    message = str(stopped.value.code)
    assert machine.commands == []
    assert "we are not root" in message
    assert "sudo apt-get install -y rabbitmq-server" in message
    assert "docker run -d --name rabbitmq -p 5672:5672" in message and "AMQP_URI" in message


def test_without_apt_it_says_docker_or_amqp_uri():
    machine = Machine(installed=False, root=True, apt=False)
    with pytest.raises(SystemExit) as stopped:
        ensure_broker(LOCAL, host=machine.host())
    message = str(stopped.value.code)
    assert machine.commands == []
    assert "no apt-get" in message and "sudo apt-get" not in message
    assert "docker run" in message and "AMQP_URI" in message


def test_a_failed_apt_install_stops_with_what_to_do():
    machine = Machine(installed=False, root=True, apt=True, apt_works=False)
    with pytest.raises(SystemExit) as stopped:
        ensure_broker(LOCAL, host=machine.host())
    assert machine.commands == [["sh", "-c", APT_INSTALL_RABBITMQ]]
    assert "apt-get failed" in str(stopped.value.code) and "docker run" in str(stopped.value.code)


def test_a_started_broker_that_never_answers_stops_with_what_to_do():
    machine = Machine(installed=True)
    with pytest.raises(SystemExit) as stopped:
        ensure_broker(LOCAL, wait_seconds=0, host=machine.host())
    assert machine.commands == [[SERVER, "-detached"]]
    assert "did not answer" in str(stopped.value.code)


def test_a_remote_broker_is_never_installed_or_started_here():
    machine = Machine(installed=False, root=True, apt=True)
    with pytest.raises(SystemExit) as stopped:
        ensure_broker("amqp://gridgov:s3cret@mq.example.org:5672/", host=machine.host())
    message = str(stopped.value.code)
    assert machine.commands == []
    assert "mq.example.org" in message and "s3cret" not in message  # the password never printed

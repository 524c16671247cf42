"""`make run` restarts a component that died, with backoff, and gives up only after
too many deaths in a window (common.launcher.Supervisor). A fake clock and fake
processes: tests/integration/test_launcher.py kills a real one."""
import signal

from common.launcher import RestartPolicy, Supervisor, how_it_ended

POLICY = RestartPolicy(first_delay=1, max_delay=8, healthy_reset=60, max_failures=5, window=300)


class FakeProcess:
    def __init__(self, name):
        self.name = name
        self.component, self.env, self.log_path = name, {}, None
        self.url = f"http://127.0.0.1/{name}"
        self.process = type("Popen", (), {"returncode": None})()
        self.running = False

    def start(self):
        self.running = True
        return self

    def alive(self):
        return self.running

    def healthy(self):
        return self.running

    def die(self, returncode=-signal.SIGKILL):
        self.running = False
        self.process.returncode = returncode


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def supervised(policy=POLICY):
    clock, said, started = Clock(), [], []

    def fresh(old):
        new = FakeProcess(old.name)
        started.append((old.name, clock.now))
        return new

    processes = {name: FakeProcess(name).start() for name in ("grid", "tickets", "gateway")}
    supervisor = Supervisor(processes, policy, clock=clock, sleep=lambda s: None, say=said.append, fresh=fresh)
    return supervisor, processes, clock, said, started


def run_for(supervisor, clock, seconds, tick=0.2):
    end = clock.now + seconds
    while clock.now < end:
        given_up = supervisor.step()
        if given_up:
            return given_up
        clock.now += tick
    return None


def test_only_the_dead_component_is_restarted_after_the_first_delay():
    supervisor, processes, clock, said, started = supervised()
    others = {name: processes[name] for name in ("grid", "gateway")}
    processes["tickets"].die()
    assert run_for(supervisor, clock, 0.8) is None
    assert started == []  # still waiting out the 1 s
    assert "tickets died (killed by SIGKILL); restarting it in 1s" in said[0]
    assert run_for(supervisor, clock, 0.6) is None
    assert [name for name, _ in started] == ["tickets"]
    assert processes["tickets"].alive()
    assert all(processes[name] is process and process.alive() for name, process in others.items())
    assert said[1] == "Restarting tickets ..."
    assert any("tickets is healthy again" in line for line in said)


def delays_between_deaths(policy, deaths, up_between=0.4):
    """Kill tickets ``deaths`` times, each time right after it came back; the delays used."""
    supervisor, processes, clock, said, started = supervised(policy)
    delays = []
    for _ in range(deaths):
        processes["tickets"].die()
        died_at = clock.now
        before = len(started)
        while len(started) == before:
            assert supervisor.step() is None
            clock.now += 0.1
        delays.append(round(started[-1][1] - died_at))
        run_for(supervisor, clock, up_between)
    return delays


def test_the_delay_doubles_up_to_the_cap():
    policy = RestartPolicy(first_delay=1, max_delay=8, healthy_reset=600, max_failures=100, window=300)
    assert delays_between_deaths(policy, 6) == [1, 2, 4, 8, 8, 8]


def test_the_delay_starts_again_after_a_healthy_while():
    policy = RestartPolicy(first_delay=1, max_delay=8, healthy_reset=5, max_failures=100, window=300)
    assert delays_between_deaths(policy, 4, up_between=6) == [1, 1, 1, 1]


def test_it_gives_up_after_max_failures_within_the_window():
    supervisor, processes, clock, said, started = supervised()
    for death in range(1, POLICY.max_failures + 1):
        processes["tickets"].die(returncode=3)
        given_up = run_for(supervisor, clock, 20)
        if death < POLICY.max_failures:
            assert given_up is None and len(started) == death
    assert given_up == "tickets"
    assert "tickets died (exit code 3), 5 times within 300s: giving up and stopping everything" in said[-1]


def test_deaths_outside_the_window_are_forgiven():
    supervisor, processes, clock, said, started = supervised()
    for _ in range(POLICY.max_failures * 2):
        processes["tickets"].die()
        assert run_for(supervisor, clock, POLICY.window / 3) is None
    assert len(started) == POLICY.max_failures * 2


def test_watch_returns_at_once_when_asked_to_stop_during_a_backoff():
    supervisor, processes, clock, said, started = supervised()
    processes["tickets"].die()
    stopping = []
    steps = []

    def sleep(seconds):
        steps.append(seconds)
        if len(steps) == 2:
            stopping.append(signal.SIGINT)

    supervisor.sleep = sleep
    assert supervisor.watch(stopping) == 0
    assert started == [] and len(steps) == 2 and all(s <= 0.2 for s in steps)


def test_how_a_process_ended_is_named():
    assert how_it_ended(-signal.SIGKILL) == "killed by SIGKILL"
    assert how_it_ended(-signal.SIGTERM) == "killed by SIGTERM"
    assert how_it_ended(1) == "exit code 1"

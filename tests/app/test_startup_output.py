"""What a person sees when Tawasol starts: the address only once the server answers, and none of
the libraries' start-up noise (TensorFlow's C++ log, deprecation warnings, Rasa's chatter)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_crash_recovery import free_port

REPOSITORY = Path(__file__).resolve().parent.parent.parent
# Lines every start printed before: each names one kind of noise that must stay silenced.
NOISE = (
    "cudart_stub", "cpu_feature_guard", "TF-TRT", "AVX2",  # TensorFlow's C++ log
    "DeprecationWarning", "MovedIn20Warning", "Slot auto-fill", "declare_namespace", "load_module",
)


def _development_env(tmp_path: Path, model: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_"))}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the server must quiet TensorFlow itself
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}", TAWASOL_MODEL=str(model), PYTHONUNBUFFERED="1")
    return env


def example_questions() -> list[str]:
    """The questions the simulator page offers while a conversation is empty."""
    page = (REPOSITORY / "simulators" / "web" / "simulator.html").read_text(encoding="utf-8")
    template = page[page.index('<template id="examples-template">') : page.index("</template>")]
    return re.findall(r'<button type="button" dir="auto">([^<]+)</button>', template)


def test_the_page_and_the_readme_offer_the_same_questions_in_every_register():
    questions = example_questions()
    assert len(questions) >= 3
    assert any(re.search("[a-z]", q) and re.search(r"\d", q) for q in questions)  # Arabizi
    assert any(q.startswith("How") for q in questions) and any(re.match("[\u0600-\u06ff]", q) for q in questions)
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    two_commands = readme[readme.index("## Two commands") : readme.index("## Configuration")]
    assert [q for q in questions if f"`{q}`" not in two_commands] == []


@pytest.mark.slow
def test_the_address_is_printed_once_the_server_answers_and_the_noise_is_gone(trained_model, tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators.dev_server", "--port", str(port)],
        cwd=REPOSITORY, env=_development_env(tmp_path, trained_model),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    listening = threading.Event()
    answered_at_announcement: list[int] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "listening on" in line and not listening.is_set():
                # The moment the address shows, a person's first request must be answered.
                try:
                    answered_at_announcement.append(httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code)
                except httpx.HTTPError:
                    answered_at_announcement.append(0)
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert listening.wait(timeout=300), "\n".join(lines[-30:])
        assert answered_at_announcement == [200]
        page = httpx.get(f"http://127.0.0.1:{port}/simulator", timeout=5).text
        assert all(question in page for question in example_questions())
        time.sleep(1)  # anything printed right after start-up counts too
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)

    output = "\n".join(lines)
    starting = next(i for i, line in enumerate(lines) if "starting" in line)
    announced = next(i for i, line in enumerate(lines) if "listening on" in line)
    assert starting < announced
    assert f"http://127.0.0.1:{port}/simulator" in lines[announced]
    assert any("tawasol started" in line for line in lines[starting:announced])  # the runtime's line
    assert [noise for noise in NOISE if noise in output] == [], output
    assert len(lines) <= 15, output

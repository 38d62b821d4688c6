"""Soak: three minutes of seller questions at a fixed rate through the REST channel of the
assistant as `make run` starts it. Every message is answered, and Rasa's memory after the
run is within SOAK_GROWTH_MB of what it was after the first 30 seconds."""
import time
import uuid

import requests

from bench.processes import memory_mb, servers

SOAK_S = 180
RATE_PER_S = 4
WARM_UP_S = 30
CONVERSATIONS = 24
SOAK_GROWTH_MB = 60
QUESTIONS = ["代运营怎么收费", "联合营销是什么", "亚马逊联合运营适合哪些卖家", "三种模式有什么区别",
             "代运营有什么风险", "联合营销怎么开始", "Co-Op的效果怎么样", "代运营合同要注意什么"]


def test_a_soak_at_a_fixed_rate_answers_everything_without_memory_growth(assistant):
    rasa_pid = servers(assistant.pid)["rasa"][0]
    senders = [f"soak-{uuid.uuid4().hex[:8]}" for _ in range(CONVERSATIONS)]
    failures, latencies, baseline_mb = [], [], None
    started = time.monotonic()
    for i in range(SOAK_S * RATE_PER_S):
        time.sleep(max(0.0, started + i / RATE_PER_S - time.monotonic()))
        if baseline_mb is None and time.monotonic() - started >= WARM_UP_S:
            baseline_mb = memory_mb(rasa_pid)
        sent = time.monotonic()
        try:
            reply = requests.post(f"{assistant.rasa_url}/webhooks/rest/webhook", timeout=30,
                                  json={"sender": senders[i % CONVERSATIONS],
                                        "message": QUESTIONS[i % len(QUESTIONS)]})
            if reply.status_code != 200 or not reply.json():
                failures.append(f"{reply.status_code}: {reply.text[:100]}")
        except requests.RequestException as error:
            failures.append(repr(error))
        latencies.append(time.monotonic() - sent)
    final_mb = memory_mb(rasa_pid)
    latencies.sort()
    print(f"soak: {len(latencies)} messages, p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms,"
          f" Rasa RSS {baseline_mb} MB after {WARM_UP_S} s, {final_mb} MB at the end")
    assert not failures, failures[:5]
    assert final_mb - baseline_mb <= SOAK_GROWTH_MB

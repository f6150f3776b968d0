"""A single-node Apache Kafka 4 broker in KRaft mode (broker + controller), from Maven-resolved jars."""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.local_platform import jars
from tardis_dagster.tooling.local_platform.service import LocalService

HEALTH_TOPIC = "__tardis_health"

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


class KafkaService(LocalService):
    """Kafka on 127.0.0.1 (client port from settings), storage formatted once under `.tardis/kafka`."""

    name = "kafka"
    startup_timeout_s = 90.0

    def __init__(self) -> None:
        settings = get_settings()
        self.port = settings.kafka_port
        self.controller_port = settings.kafka_controller_port
        self.bootstrap = settings.kafka_bootstrap
        super().__init__(settings.home / "kafka")

    @property
    def _config(self):
        return self.state_dir / "server.properties"

    @property
    def _data(self):
        return self.state_dir / "data"

    def _classpath(self) -> str:
        return f"{jars.resolve('kafka')}/*"

    def prepare(self) -> None:
        """Write the broker config and format the KRaft storage if it was never formatted."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self._data}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    # Local data is kept a week; production retention is the topic owner's call.
                    "log.retention.hours=168",
                    "",
                ]
            )
        )
        (self.state_dir / "log4j2.properties").write_text(_LOG4J2)
        if (self._data / "meta.properties").exists():
            return
        shutil.rmtree(self._data, ignore_errors=True)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            [
                "java",
                "-cp",
                self._classpath(),
                f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
                f"-Dkafka.logs.dir={self.state_dir}",
                "kafka.tools.StorageTool",
                "format",
                # `=` form: a random id may start with "-", which would read as an option.
                f"--cluster-id={cluster_id}",
                "-c",
                str(self._config),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def command(self) -> list[str]:
        return [
            "java",
            "-Xms256m",
            "-Xmx1g",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.state_dir}",
            "-cp",
            self._classpath(),
            "kafka.Kafka",
            str(self._config),
        ]

    def healthy(self) -> bool:
        """Produce one record to a health topic and consume it back."""
        if not self.port_open():
            return False
        try:
            admin = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 3000})
            if HEALTH_TOPIC not in admin.list_topics(timeout=5).topics:
                futures = admin.create_topics([NewTopic(HEALTH_TOPIC, num_partitions=1)])
                for future in futures.values():
                    try:
                        future.result(timeout=10)
                    except KafkaException as exc:
                        if "TOPIC_ALREADY_EXISTS" not in str(exc):
                            raise
            probe = uuid.uuid4().hex.encode()
            delivered: list[tuple[int, int]] = []
            producer = Producer({"bootstrap.servers": self.bootstrap, "message.timeout.ms": 5000})
            producer.produce(
                HEALTH_TOPIC,
                value=probe,
                on_delivery=lambda err, msg: (
                    None if err else delivered.append((msg.partition(), msg.offset()))
                ),
            )
            if producer.flush(10) != 0 or not delivered:
                return False
            # Read it back by partition and offset: no consumer group, so no coordinator to wait for.
            consumer = Consumer(
                {
                    "bootstrap.servers": self.bootstrap,
                    "group.id": "tardis-health",
                    "enable.auto.commit": False,
                }
            )
            try:
                consumer.assign([TopicPartition(HEALTH_TOPIC, *delivered[0])])
                for _ in range(20):
                    msg = consumer.poll(0.5)
                    if msg is not None and msg.error() is None and msg.value() == probe:
                        return True
                return False
            finally:
                consumer.close()
        except KafkaException:
            return False

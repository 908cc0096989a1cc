package dev.wail.bench.debezium;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Debezium's embedded engine capturing one table and producing each change to
 * one Kafka topic: the Debezium side of tools/bench/src/debezium.ts.
 *
 * <p>Output record: key = the row's primary key (its value as text when the key
 * has one column, else the key's JSON), value = {"op", "after", "sourceTsMs",
 * "harnessTsMs"}. A batch's records are acknowledged by Kafka (acks=all) before
 * the engine may commit its offsets: at-least-once, as Debezium Server does.
 *
 * <p>Prints {@code ready} on stdout once the connector streams (its streaming
 * metrics MBean reports Connected, which happens after the snapshot), and
 * stops the engine and the producer on SIGTERM.
 *
 * <p>Arguments, each {@code --name=value} (or the environment variable
 * DBZ_NAME, upper case with '-' as '_'): connector (mysql|postgres), host,
 * port, user, password, database, table, bootstrap, topic, state-dir,
 * poll-interval-ms, server-id (MySQL), slot (PostgreSQL).
 */
public final class Harness {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Harness() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    String connector = option(options, "connector", "mysql");
    String table = option(options, "table", "items");
    String database = option(options, "database", "bench");
    String topic = required(options, "topic");
    Path stateDir = Path.of(required(options, "state-dir"));
    Files.createDirectories(stateDir);

    Properties props = new Properties();
    props.setProperty("name", "wail-bench-debezium");
    props.setProperty("topic.prefix", "bench");
    props.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
    props.setProperty("offset.storage.file.filename", stateDir.resolve("offsets.dat").toString());
    props.setProperty("offset.flush.interval.ms", "1000");
    props.setProperty("database.hostname", option(options, "host", "127.0.0.1"));
    props.setProperty("database.port", required(options, "port"));
    props.setProperty("database.user", option(options, "user", "root"));
    props.setProperty("database.password", option(options, "password", ""));
    props.setProperty("snapshot.mode", "no_data");
    props.setProperty("tombstones.on.delete", "false");
    props.setProperty("converter.schemas.enable", "false");
    // How long the engine waits for more changes before handing over a batch (Debezium: 500 ms).
    props.setProperty("poll.interval.ms", option(options, "poll-interval-ms", "500"));
    switch (connector) {
      case "mysql" -> {
        props.setProperty("connector.class", "io.debezium.connector.mysql.MySqlConnector");
        props.setProperty("database.server.id", option(options, "server-id", "5401"));
        props.setProperty("database.include.list", database);
        props.setProperty("table.include.list", database + "." + table);
        props.setProperty(
            "schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
        props.setProperty(
            "schema.history.internal.file.filename",
            stateDir.resolve("schema-history.dat").toString());
      }
      case "postgres" -> {
        props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        props.setProperty("database.dbname", database);
        props.setProperty("plugin.name", "pgoutput");
        props.setProperty("slot.name", option(options, "slot", "wail_bench"));
        props.setProperty("publication.autocreate.mode", "filtered");
        props.setProperty("table.include.list", "public." + table);
      }
      default -> throw new IllegalArgumentException("--connector must be mysql or postgres");
    }

    Properties producerProps = new Properties();
    producerProps.setProperty(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, option(options, "bootstrap", "127.0.0.1:9092"));
    producerProps.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.setProperty(ProducerConfig.LINGER_MS_CONFIG, "1");
    producerProps.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producerProps.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "wail-bench-debezium");
    KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer());

    CountDownLatch finished = new CountDownLatch(1);
    DebeziumEngine<ChangeEvent<String, String>> engine =
        DebeziumEngine.create(Json.class)
            .using(props)
            .notifying((records, committer) -> {
              List<Future<RecordMetadata>> sends = new ArrayList<>(records.size());
              for (ChangeEvent<String, String> event : records) {
                ProducerRecord<String, String> out = toOutput(topic, event);
                if (out != null) sends.add(producer.send(out));
              }
              for (Future<RecordMetadata> send : sends) {
                try {
                  send.get();
                } catch (ExecutionException e) {
                  throw new IllegalStateException("Kafka refused a change event", e.getCause());
                }
              }
              for (ChangeEvent<String, String> event : records) committer.markProcessed(event);
              committer.markBatchFinished();
            })
            .using((success, message, error) -> {
              if (!success) {
                System.err.println("engine stopped: " + message);
                if (error != null) error.printStackTrace(System.err);
              }
              finished.countDown();
            })
            .build();

    ExecutorService executor = Executors.newSingleThreadExecutor();
    executor.execute(engine);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> {
              try {
                // Already stopped when the engine failed: closing it again throws.
                if (finished.getCount() > 0) engine.close();
                finished.await(30, TimeUnit.SECONDS);
              } catch (IOException | InterruptedException | IllegalStateException e) {
                e.printStackTrace(System.err);
              } finally {
                producer.close();
                executor.shutdown();
              }
            }));

    awaitStreaming(finished);
    if (finished.getCount() == 0) System.exit(1);
    System.out.println("ready");
    System.out.flush();
    finished.await();
    // Reached when the engine stops by itself (a failure): SIGTERM exits through the hook.
    System.exit(1);
  }

  /** The output record of one change event, or null for an event without a row (a tombstone). */
  static ProducerRecord<String, String> toOutput(String topic, ChangeEvent<String, String> event) {
    if (event.value() == null) return null;
    try {
      JsonNode value = JSON.readTree(event.value());
      if (!value.has("op")) return null;
      ObjectNode out = JSON.createObjectNode();
      out.set("op", value.get("op"));
      out.set("after", value.get("after"));
      out.set("sourceTsMs", value.path("source").get("ts_ms"));
      out.put("harnessTsMs", System.currentTimeMillis());
      return new ProducerRecord<>(topic, keyText(event.key()), JSON.writeValueAsString(out));
    } catch (IOException e) {
      throw new IllegalStateException("unreadable change event " + event.value(), e);
    }
  }

  private static String keyText(String key) throws IOException {
    if (key == null) return null;
    JsonNode node = JSON.readTree(key);
    if (node.isObject() && node.size() == 1) return node.elements().next().asText();
    return key;
  }

  /**
   * Waits until the connector's streaming metrics report Connected: the
   * engine has no callback for "snapshot done, streaming", its MBean does.
   */
  private static void awaitStreaming(CountDownLatch finished) throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName pattern = new ObjectName("debezium.*:type=connector-metrics,context=streaming,*");
    while (finished.getCount() > 0) {
      Set<ObjectName> names = server.queryNames(pattern, null);
      for (ObjectName name : names) {
        if (Boolean.TRUE.equals(server.getAttribute(name, "Connected"))) return;
      }
      finished.await(100, TimeUnit.MILLISECONDS);
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("="))
        throw new IllegalArgumentException("arguments are --name=value, got " + arg);
      int eq = arg.indexOf('=');
      options.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    return options;
  }

  private static String option(Map<String, String> options, String name, String fallback) {
    String value = options.get(name);
    if (value == null) value = System.getenv("DBZ_" + name.toUpperCase().replace('-', '_'));
    return value == null ? fallback : value;
  }

  private static String required(Map<String, String> options, String name) {
    String value = option(options, name, null);
    if (value == null) throw new IllegalArgumentException("--" + name + " is required");
    return value;
  }
}

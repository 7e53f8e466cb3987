/* A Kafka-protocol broker for tests: librdkafka's mock cluster (Debian's librdkafka-dev), on
 * 127.0.0.1 ports the kernel picks. Usage: kafka-mock [TOPIC:PARTITIONS]...
 * Prints "BOOTSTRAP=host:port,..." once ready, then serves until SIGTERM/SIGINT, or until its parent
 * dies (so a crashed test run leaves no broker behind). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* Quiet: the unused producer handle only hosts the cluster (no bootstrap.servers warning). */
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "kafka-mock: %s\n", err); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
  if (!mc) { fprintf(stderr, "kafka-mock: could not create the mock cluster\n"); return 1; }
  for (int i = 1; i < argc; i++) {
    char *colon = strchr(argv[i], ':');
    int parts = colon ? atoi(colon + 1) : 1;
    if (colon) *colon = '\0';
    if (rd_kafka_mock_topic_create(mc, argv[i], parts > 0 ? parts : 1, 1)) {
      fprintf(stderr, "kafka-mock: could not create topic %s\n", argv[i]);
      return 1;
    }
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) stop = 1; /* the parent died before prctl */
  printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  /* The broker threads serve; this one waits for a signal. */
  while (!stop) pause();
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}

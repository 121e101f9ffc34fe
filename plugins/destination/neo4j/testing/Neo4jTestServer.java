// Test-only launcher of the Neo4j test server (plugins/destination/neo4j/
// test-server.sh): an embedded Neo4j 5.26 DBMS with its Bolt connector, run
// as a process of its own from the Maven Central jars (Neo4j Community is
// GPL-3.0; nothing of it is linked into Ferry).
//
//   java -cp 'LIB/*:launcher.jar' Neo4jTestServer HOME
//
// HOME is the server's state directory: the DBMS reads HOME/neo4j.conf
// (written by test-server.sh: Bolt address, TLS policy, auth, memory) and
// keeps its data under HOME/data. When auth is on and the environment has
// FERRY_NEO4J_INITIAL_PASSWORD, the user `neo4j` gets that password (no
// change required) before the server reports ready, at every start, so a
// test that changed it gets it back at the next start.
//
// Prints "READY bolt://HOST:PORT" on stdout once the databases are up and
// the Bolt port accepts connections; the DBMS's user log goes to stdout too.
// SIGTERM shuts the DBMS down cleanly (checkpoint), then the JVM exits.

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

public final class Neo4jTestServer {
  private static final String USER = "neo4j";

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: Neo4jTestServer HOME (HOME/neo4j.conf is read)");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath().normalize();
    Path conf = home.resolve("neo4j.conf");
    if (!Files.isRegularFile(conf)) {
      System.err.println("Neo4jTestServer: " + conf + " not found");
      System.exit(2);
    }
    long t0 = System.nanoTime();
    Log4jLogProvider userLog = new Log4jLogProvider(System.out, Level.INFO);
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .loadPropertiesFromFile(conf)
        .setUserLogProvider(userLog)
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("Neo4jTestServer: shutting down");
      try {
        dbms.shutdown();
      } catch (RuntimeException e) {
        e.printStackTrace();
      }
      System.out.println("Neo4jTestServer: stopped");
      System.out.flush();
      stopped.countDown();
    }, "neo4j-test-server-shutdown"));

    GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    GraphDatabaseService neo4j = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    waitAvailable(system);
    waitAvailable(neo4j);

    // The settings as the DBMS resolved them (defaults and conf file).
    var config = ((org.neo4j.kernel.internal.GraphDatabaseAPI) system)
        .getDependencyResolver().resolveDependency(org.neo4j.configuration.Config.class);
    boolean auth = config.get(GraphDatabaseSettings.auth_enabled);
    String password = System.getenv("FERRY_NEO4J_INITIAL_PASSWORD");
    if (auth && password != null && !password.isEmpty()) {
      setPassword(system, password);
    }

    SocketAddress bolt = config.get(BoltConnector.listen_address);
    waitPort(bolt.getHostname(), bolt.getPort());
    System.out.printf("READY bolt://%s:%d (auth %s, tls %s, %.1f s)%n", bolt.getHostname(), bolt.getPort(),
        auth ? "on" : "off", config.get(BoltConnector.encryption_level), (System.nanoTime() - t0) / 1e9);
    System.out.flush();
    stopped.await();
  }

  private static void waitAvailable(GraphDatabaseService db) {
    if (!db.isAvailable(120_000)) {
      throw new IllegalStateException("database " + db.databaseName() + " not available after 120 s");
    }
  }

  // ALTER USER through the system database: an embedded transaction runs
  // with full rights, no login. Community Edition has these commands (only
  // roles are Enterprise). Neo4j refuses to set the password it already has,
  // which leaves it as wanted.
  private static void setPassword(GraphDatabaseService system, String password) {
    try (var tx = system.beginTx()) {
      tx.execute("ALTER USER " + USER + " SET PLAINTEXT PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password))
          .close();
      tx.commit();
      System.out.println("Neo4jTestServer: password of user " + USER + " set");
    } catch (RuntimeException e) {
      String m = String.valueOf(e.getMessage());
      if (!m.contains("cannot be the same")) {
        throw e;
      }
      System.out.println("Neo4jTestServer: password of user " + USER + " already set");
    }
  }

  private static void waitPort(String host, int port) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    IOException last = null;
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), 1000);
        return;
      } catch (IOException e) {
        last = e;
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("Bolt port " + host + ":" + port + " does not accept connections", last);
  }
}

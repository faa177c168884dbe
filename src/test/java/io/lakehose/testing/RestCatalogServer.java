package io.lakehose.testing;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.NamespaceNotEmptyException;
import org.apache.iceberg.exceptions.NoSuchNamespaceException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.rest.CatalogHandlers;
import org.apache.iceberg.rest.RESTCatalogProperties;
import org.apache.iceberg.rest.RESTSerializers;
import org.apache.iceberg.rest.RESTUtil;
import org.apache.iceberg.rest.requests.CreateNamespaceRequest;
import org.apache.iceberg.rest.requests.CreateTableRequest;
import org.apache.iceberg.rest.requests.UpdateNamespacePropertiesRequest;
import org.apache.iceberg.rest.requests.UpdateTableRequest;
import org.apache.iceberg.rest.responses.ConfigResponse;
import org.apache.iceberg.rest.responses.ErrorResponse;
import org.apache.iceberg.rest.responses.ErrorResponseParser;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An Iceberg REST catalog for tests, over a real catalog (JDBC on SQLite): Iceberg's own
 * {@link CatalogHandlers} do the catalog's work (including checking a commit's requirements, the
 * compare-and-swap of the REST protocol); this class only routes the REST spec's paths to them and
 * turns their exceptions into the spec's error responses. Iceberg's REST test server is not
 * published to Maven Central, hence this. Only what a writer of tables uses is routed: config,
 * namespaces, tables (create, exists, load, commit, drop).
 */
public final class RestCatalogServer implements AutoCloseable {

    private static final String SEPARATOR = RESTCatalogProperties.NAMESPACE_SEPARATOR_DEFAULT;

    private final Catalog catalog;
    private final SupportsNamespaces namespaces;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger commits = new AtomicInteger();

    private RestCatalogServer(Catalog catalog) throws IOException {
        this.catalog = catalog;
        this.namespaces = (SupportsNamespaces) catalog;
        json.setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
        json.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        json.setPropertyNamingStrategy(new PropertyNamingStrategies.KebabCaseStrategy());
        RESTSerializers.registerAll(json);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    /** Serves {@code catalog} on a free loopback port. */
    public static RestCatalogServer start(Catalog catalog) throws IOException {
        return new RestCatalogServer(catalog);
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Table commits the server was asked for (each a POST to a table), whatever their outcome. */
    public int commits() {
        return commits.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                Object response = route(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), exchange);
                if (response == null) {
                    exchange.sendResponseHeaders(204, -1);
                } else {
                    send(exchange, 200, json.writeValueAsBytes(response));
                }
            } catch (RuntimeException e) {
                int code = status(e);
                if (exchange.getRequestMethod().equals("HEAD")) {
                    exchange.sendResponseHeaders(code, -1); // a HEAD answer has no body
                    return;
                }
                ErrorResponse error = ErrorResponse.builder().responseCode(code)
                        .withType(e.getClass().getSimpleName()).withMessage(messageWithCause(e)).withStackTrace(e).build();
                send(exchange, code, ErrorResponseParser.toJson(error).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private Object route(String method, String rawPath, HttpExchange exchange) throws IOException {
        List<String> path = Arrays.stream(rawPath.replaceAll("^/+|/+$", "").split("/")).toList();
        if (path.size() < 2 || !path.get(0).equals("v1")) {
            throw new IllegalArgumentException("no such path: " + rawPath);
        }
        List<String> rest = path.subList(1, path.size());
        if (rest.equals(List.of("config"))) {
            return ConfigResponse.builder().build();
        }
        if (!rest.get(0).equals("namespaces")) {
            throw new UnsupportedOperationException("not routed by this test server: " + method + " " + rawPath);
        }
        if (rest.size() == 1) {
            return switch (method) {
                case "GET" -> CatalogHandlers.listNamespaces(namespaces, Namespace.empty());
                case "POST" -> CatalogHandlers.createNamespace(namespaces, body(exchange, CreateNamespaceRequest.class));
                default -> throw new UnsupportedOperationException(method + " " + rawPath);
            };
        }
        Namespace ns = RESTUtil.decodeNamespaceAsPathSegment(rest.get(1), SEPARATOR);
        if (rest.size() == 2) {
            return switch (method) {
                case "HEAD" -> {
                    CatalogHandlers.namespaceExists(namespaces, ns);
                    yield null;
                }
                case "GET" -> CatalogHandlers.loadNamespace(namespaces, ns);
                case "DELETE" -> {
                    CatalogHandlers.dropNamespace(namespaces, ns);
                    yield null;
                }
                default -> throw new UnsupportedOperationException(method + " " + rawPath);
            };
        }
        if (rest.size() == 3 && rest.get(2).equals("properties")) {
            return CatalogHandlers.updateNamespaceProperties(namespaces, ns,
                    body(exchange, UpdateNamespacePropertiesRequest.class));
        }
        if (rest.size() == 3 && rest.get(2).equals("tables")) {
            return switch (method) {
                case "GET" -> CatalogHandlers.listTables(catalog, ns);
                case "POST" -> CatalogHandlers.createTable(catalog, ns, body(exchange, CreateTableRequest.class));
                default -> throw new UnsupportedOperationException(method + " " + rawPath);
            };
        }
        if (rest.size() == 4 && rest.get(2).equals("tables")) {
            TableIdentifier table = TableIdentifier.of(ns, RESTUtil.decodePathSegment(rest.get(3)));
            return switch (method) {
                case "HEAD" -> {
                    CatalogHandlers.tableExists(catalog, table);
                    yield null;
                }
                case "GET" -> CatalogHandlers.loadTable(catalog, table, RESTCatalogProperties.SnapshotMode.ALL);
                case "POST" -> {
                    commits.incrementAndGet();
                    yield CatalogHandlers.updateTable(catalog, table, body(exchange, UpdateTableRequest.class));
                }
                case "DELETE" -> {
                    CatalogHandlers.dropTable(catalog, table);
                    yield null;
                }
                default -> throw new UnsupportedOperationException(method + " " + rawPath);
            };
        }
        throw new UnsupportedOperationException("not routed by this test server: " + method + " " + rawPath);
    }

    private <T> T body(HttpExchange exchange, Class<T> type) throws IOException {
        return json.readValue(exchange.getRequestBody().readAllBytes(), type);
    }

    /** The REST spec's status for what the catalog threw (the client turns it back into the exception). */
    private static int status(RuntimeException e) {
        if (e instanceof NoSuchTableException || e instanceof NoSuchNamespaceException) {
            return 404;
        }
        if (e instanceof AlreadyExistsException || e instanceof CommitFailedException
                || e instanceof NamespaceNotEmptyException) {
            return 409;
        }
        if (e instanceof ValidationException || e instanceof IllegalArgumentException) {
            return 400;
        }
        if (e instanceof UnsupportedOperationException) {
            return 406;
        }
        return 500;
    }

    /** The exception's message and its root cause's, as a server that explains its 500s would say. */
    private static String messageWithCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root.getMessage();
    }

    private static void send(HttpExchange exchange, int code, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}

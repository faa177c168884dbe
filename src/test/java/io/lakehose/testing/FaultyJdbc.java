package io.lakehose.testing;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * A JDBC driver in front of a real one ({@code jdbc:faulty:} + the real URL without its
 * {@code jdbc:}) that makes chosen commits of Iceberg's JDBC catalog fail: its UPDATE of a
 * table's metadata location fails before it runs (nothing committed), or after it ran (committed,
 * but the answer is lost, as when a connection drops at the wrong moment). The database stays the
 * real one (SQLite in the tests); only the answer is forged. No emulator injects such faults.
 */
public final class FaultyJdbc implements Driver {

    public enum Fault { BEFORE, AFTER }

    private static final String PREFIX = "jdbc:faulty:";
    private static final Queue<Fault> PLAN = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger INJECTED = new AtomicInteger();

    static {
        try {
            DriverManager.registerDriver(new FaultyJdbc());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The URL that reaches {@code realUrl} through this driver. */
    public static String url(String realUrl) {
        if (!realUrl.startsWith("jdbc:")) {
            throw new IllegalArgumentException("not a JDBC URL: " + realUrl);
        }
        return PREFIX + realUrl.substring("jdbc:".length());
    }

    /** The next table commits fail, one fault each, in this order. */
    public static void failNextCommits(Fault... faults) {
        PLAN.addAll(List.of(faults));
    }

    /** Forgets the faults not injected yet. */
    public static void clear() {
        PLAN.clear();
    }

    /** Faults injected so far. */
    public static int injected() {
        return INJECTED.get();
    }

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        if (!acceptsURL(url)) {
            return null;
        }
        Connection real = DriverManager.getConnection("jdbc:" + url.substring(PREFIX.length()), info);
        return proxy(Connection.class, real, (method, args) -> {
            Object result = method.invoke(real, args);
            if (method.getName().equals("prepareStatement") && isTableCommit((String) args[0])) {
                PreparedStatement statement = (PreparedStatement) result;
                return proxy(PreparedStatement.class, statement, (m, a) -> m.getName().equals("executeUpdate")
                        && (a == null || a.length == 0) ? executeCommit(statement) : m.invoke(statement, a));
            }
            return result;
        });
    }

    private static boolean isTableCommit(String sql) {
        String s = sql.trim().toUpperCase(Locale.ROOT);
        return s.startsWith("UPDATE") && s.contains("METADATA_LOCATION");
    }

    private static int executeCommit(PreparedStatement statement) throws SQLException {
        Fault fault = PLAN.poll();
        if (fault == null) {
            return statement.executeUpdate();
        }
        INJECTED.incrementAndGet();
        if (fault == Fault.BEFORE) {
            throw new SQLException("injected: the connection dropped before the commit ran");
        }
        statement.executeUpdate();
        throw new SQLException("injected: the connection dropped after the commit ran");
    }

    private interface Call {
        Object call(Method method, Object[] args) throws Exception;
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T real, Call call) {
        InvocationHandler handler = (p, method, args) -> {
            try {
                return call.call(method, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (T) Proxy.newProxyInstance(FaultyJdbc.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    @Override
    public boolean acceptsURL(String url) {
        return url != null && url.startsWith(PREFIX);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 1;
    }

    @Override
    public int getMinorVersion() {
        return 0;
    }

    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }
}

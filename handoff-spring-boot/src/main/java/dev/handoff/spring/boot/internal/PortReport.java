package dev.handoff.spring.boot.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The child's side of the port report the parent's {@code ChildPorts} reads: {@code host:port} written atomically
 * into {@code <instance id>.port} in the folder named by {@value #FOLDER_ENV}. The same file format as the Jetty
 * adapter's child (this module does not depend on it). Not API.
 */
public final class PortReport {

    /** The environment variable naming the folder where children write their ports. */
    public static final String FOLDER_ENV = "HANDOFF_PORT_FOLDER";

    private PortReport() {
    }

    /**
     * Writes the port when a parent asked for it; does nothing otherwise.
     *
     * @param folder     the folder from {@value #FOLDER_ENV}, or null
     * @param instanceId the instance id
     * @param host       the host the server listens on
     * @param port       the bound port
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void report(String folder, String instanceId, String host, int port) {
        if (folder == null) {
            return;
        }
        Path target = Path.of(folder).resolve(fileName(instanceId));
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.writeString(temporary, host + ":" + port + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot report port " + port + " to the parent in " + target, e);
        }
    }

    /** An instance id as a file name: characters other than {@code [A-Za-z0-9.-]} become {@code _XXXX}. */
    static String fileName(String instanceId) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < instanceId.length(); i++) {
            char c = instanceId.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
                    || c == '.' && i > 0) {
                name.append(c);
            } else {
                name.append('_').append(String.format("%04x", (int) c));
            }
        }
        return name.append(".port").toString();
    }
}

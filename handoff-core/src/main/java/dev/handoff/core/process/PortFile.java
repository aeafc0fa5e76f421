package dev.handoff.core.process;

import dev.handoff.api.HandoffException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The file in which a child JVM reports the address its server bound, for a parent that routes to it: {@code host:port}
 * and a line break, written atomically into {@code <instance id>.port} in the folder named by {@value #FOLDER_ENV}.
 * One format for every adapter: the Jetty adapter's {@code ChildPorts} writes and reads it, the Spring Boot starter
 * writes it. Stateless and thread-safe.
 */
public final class PortFile {

    /** The environment variable naming the folder where children write their ports. */
    public static final String FOLDER_ENV = "HANDOFF_PORT_FOLDER";

    private PortFile() {
    }

    /**
     * Writes {@code host:port} for the instance, atomically, when a parent named a folder; does nothing otherwise.
     *
     * @param folder     the folder from {@value #FOLDER_ENV}, or null when no parent asked
     * @param instanceId the instance id
     * @param host       the host the server listens on
     * @param port       the bound port
     * @throws HandoffException when the file cannot be written (nothing is left behind)
     */
    public static void report(String folder, String instanceId, String host, int port) {
        if (folder == null) {
            return;
        }
        Path target = Path.of(folder).resolve(fileName(instanceId));
        Path temporary = temporary(target);
        try {
            Files.writeString(temporary, host + ":" + port + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // Best effort: the parent deletes the folder with the child's file, after the child's exit.
            }
            throw new HandoffException("cannot report port " + port + " to the parent in " + target + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * @param instanceId an instance id
     * @return its file name: characters other than {@code [A-Za-z0-9.-]} (and a leading dot) become {@code _XXXX},
     *     then {@code .port}
     */
    public static String fileName(String instanceId) {
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

    /**
     * @param file a port file
     * @return the temporary file a report writes before it renames it to {@code file}
     */
    public static Path temporary(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }
}

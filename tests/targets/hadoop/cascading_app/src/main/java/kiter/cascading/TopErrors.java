package kiter.cascading;

import cascading.flow.FlowDef;
import cascading.flow.FlowProcess;
import cascading.flow.local.LocalFlowConnector;
import cascading.operation.BaseOperation;
import cascading.operation.Function;
import cascading.operation.FunctionCall;
import cascading.operation.buffer.FirstNBuffer;
import cascading.pipe.Each;
import cascading.pipe.Every;
import cascading.pipe.GroupBy;
import cascading.pipe.Pipe;
import cascading.pipe.assembly.CountBy;
import cascading.scheme.local.TextDelimited;
import cascading.scheme.local.TextLine;
import cascading.tap.SinkMode;
import cascading.tap.Tap;
import cascading.tap.local.DirTap;
import cascading.tap.local.FileTap;
import cascading.tuple.Fields;
import cascading.tuple.Tuple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Error types of a staged iteration's web-log lines, a Cascading 4 flow on the local planner.
 *
 * <pre>TopErrors [-D key=value]... INPUT OUTPUT [TOP]</pre>
 *
 * INPUT is the iteration's staged partition (a folder of files, one log line a record; a path or a
 * file:// URL), OUTPUT the folder the answer goes to: part-00000, tab-separated lines of region,
 * browser, domain, status and errors (failed requests: status 400 and up), parsed and classified
 * as the Hive, Pig and Streaming versions of the job do (templates/kiter/weblog.j2). With TOP, only
 * the TOP most frequent, in the Hive job's ORDER BY (errors descending, then region, browser,
 * domain, status); without it, every type.
 *
 * kiter passes its settings as Hadoop generic options before the arguments; there is no
 * ToolRunner on a local-planner app's classpath, so the -D pairs are read here, given to the flow
 * as its properties, and written to OUTPUT/_settings (a name Hadoop's readers skip) to show what
 * the app was given.
 */
public final class TopErrors {
  static final Fields TYPE = new Fields("region", "browser", "domain", "status");
  static final Fields COUNTED = TYPE.append(new Fields("errors"));

  // The Hive job's RegexSerDe pattern; a line that does not match is skipped (Hive reads NULLs).
  static final Pattern LINE =
      Pattern.compile(
          "^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \\[([^\\]]*)\\] \"([^\"]*)\" ([0-9]{3})"
              + " ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" ?([^ ]*)$");

  private TopErrors() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> settings = new TreeMap<>();
    List<String> rest = new ArrayList<>();
    int at = 0;
    for (; at < args.length; at++) {
      String pair;
      if (args[at].equals("-D") && at + 1 < args.length) {
        pair = args[++at];
      } else if (args[at].startsWith("-D") && args[at].length() > 2) {
        pair = args[at].substring(2);
      } else {
        break;
      }
      int equals = pair.indexOf('=');
      if (equals > 0) {
        settings.put(pair.substring(0, equals), pair.substring(equals + 1));
      }
    }
    for (; at < args.length; at++) {
      rest.add(args[at]);
    }
    if (rest.size() < 2 || rest.size() > 3) {
      System.err.println("usage: TopErrors [-D key=value]... INPUT OUTPUT [TOP]");
      System.exit(2);
    }
    Path input = localPath(rest.get(0));
    Path output = localPath(rest.get(1));
    Integer top = rest.size() == 3 ? Integer.valueOf(rest.get(2)) : null;

    Files.createDirectories(output);
    Tap<?, ?, ?> source = new DirTap(new TextLine(new Fields("line")), input);
    Tap<?, ?, ?> sink =
        new FileTap(
            new TextDelimited(COUNTED, "\t"), output.resolve("part-00000"), SinkMode.REPLACE);

    Pipe pipe = new Each("errors", new Fields("line"), new ErrorType(), Fields.RESULTS);
    pipe = new CountBy(pipe, TYPE, new Fields("errors"));
    if (top != null) {
      // One group holding every type, sorted as Hive's ORDER BY: the first TOP are the answer.
      Fields order = new Fields("errors", "region", "browser", "domain", "status");
      order.setComparator("errors", Collections.reverseOrder());
      pipe = new GroupBy(pipe, Fields.NONE, order);
      pipe = new Every(pipe, COUNTED, new FirstNBuffer(top), Fields.RESULTS);
    }

    Properties properties = new Properties();
    properties.putAll(settings);
    String iteration = settings.getOrDefault("kinesis.checkpoint.iteration.no", "?");
    FlowDef flow =
        FlowDef.flowDef()
            .setName("top-errors, iteration " + iteration)
            .addSource(pipe, source)
            .addTailSink(pipe, sink);
    new LocalFlowConnector(properties).connect(flow).complete();

    StringBuilder given = new StringBuilder();
    settings.forEach((key, value) -> given.append(key).append('=').append(value).append('\n'));
    Files.write(output.resolve("_settings"), given.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** A path, or a file:// URL as Hadoop writes one (its path is not percent-encoded). */
  static Path localPath(String location) {
    if (location.startsWith("file://")) {
      return Paths.get(location.substring("file://".length()));
    }
    if (location.startsWith("file:")) {
      return Paths.get(location.substring("file:".length()));
    }
    if (location.contains("://")) {
      throw new IllegalArgumentException(
          location + ": Cascading's local planner reads and writes local folders only");
    }
    return Paths.get(location);
  }

  /** The same classification as the hive_browser macro of templates/kiter/weblog.j2. */
  static String browser(String agent) {
    if (agent.contains("bot") || agent.contains("spider") || agent.contains("crawl")) {
      return "Bot";
    }
    if (agent.contains("Edg/")) {
      return "Edge";
    }
    if (agent.contains("OPR/")) {
      return "Opera";
    }
    if (agent.contains("Chrome/")) {
      return "Chrome";
    }
    if (agent.contains("Firefox/")) {
      return "Firefox";
    }
    if (agent.contains("Safari/")) {
      return "Safari";
    }
    if (agent.contains("MSIE ") || agent.contains("Trident/")) {
      return "Internet Explorer";
    }
    if (agent.startsWith("curl/") || agent.startsWith("python-requests/")) {
      return "Script";
    }
    return "Other";
  }

  /** A log line in; its error type out (region, browser, domain, status) when it failed. */
  static final class ErrorType extends BaseOperation<Void> implements Function<Void> {
    ErrorType() {
      super(1, TYPE);
    }

    @Override
    public void operate(FlowProcess flowProcess, FunctionCall<Void> call) {
      Matcher fields = LINE.matcher(call.getArguments().getString(0));
      if (!fields.matches()) {
        return;
      }
      int status = Integer.parseInt(fields.group(7));
      if (status >= 400) {
        String agent = fields.group(10);
        call.getOutputCollector()
            .add(new Tuple(fields.group(11), browser(agent), fields.group(1), status));
      }
    }
  }
}

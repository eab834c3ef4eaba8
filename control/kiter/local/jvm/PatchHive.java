import org.objectweb.asm.*;
import java.io.*;
import java.util.*;
import java.util.zip.*;

/**
 * Java 9+ overlay for Hive 3.1.3: the JDK 9+ application class loader is no longer a
 * java.net.URLClassLoader, so Hive's `(URLClassLoader) loader` casts (SessionState.<init>,
 * Utilities.addToClassPath/removeFromClassPath, SessionState.loadAuxJars, ...) throw
 * ClassCastException. Every `checkcast java/net/URLClassLoader` in org.apache.hadoop.hive /
 * org.apache.hive classes is replaced by
 *   invokestatic org/apache/hadoop/hive/common/Jdk9ClassLoaders.asURLClassLoader(Object)URLClassLoader
 * which returns the loader itself when it already is a URLClassLoader, or else an empty
 * URLClassLoader delegating to it (same stack shape, so stack map frames stay valid).
 * That helper class is generated into the same jar. Upstream fix: HIVE-21584 (Hive 4.0.0-alpha-1).
 * Also (HIVE-22097): SerializationUtilities$ArrayListSubListSerializer reflects on
 * java.util.ArrayList$SubList fields "parent"/"parentOffset", which JDK 9+ renamed to "root"/"offset"
 * (root = the backing ArrayList, offset = absolute offset into it): the two string constants are rewritten.
 * Also (HIVE-20726, not Java-specific): ThriftCLIService.init never assigns the hiveHost field, so
 * hive.server2.thrift.bind.host is ignored in binary mode and HS2 listens on all interfaces; the field is set.
 * usage: java -cp asm-9.x.jar PatchHive.java out.jar hive-exec.jar hive-service.jar [more hive jars]   (first jar wins for duplicates)
 */
public class PatchHive {
  static final String SUBLIST = "org/apache/hadoop/hive/ql/exec/SerializationUtilities$ArrayListSubListSerializer";
  static final String THRIFT = "org/apache/hive/service/cli/thrift/ThriftCLIService";
  static final String HELPER = "org/apache/hadoop/hive/common/Jdk9ClassLoaders";
  public static void main(String[] a) throws Exception {
    Set<String> done = new HashSet<>();
    try (ZipOutputStream out = new ZipOutputStream(new FileOutputStream(a[0]))) {
      for (int i = 1; i < a.length; i++) try (ZipFile zf = new ZipFile(a[i])) {
        for (ZipEntry e : Collections.list(zf.entries())) {
          String name = e.getName();
          if (!name.endsWith(".class") || done.contains(name)) continue;
          if (!name.startsWith("org/apache/hadoop/hive/") && !name.startsWith("org/apache/hive/")) continue;
          byte[] b = zf.getInputStream(e).readAllBytes();
          ClassReader cr = new ClassReader(b);
          int[] n = {0};
          ClassWriter cw = new ClassWriter(cr, 0);
          cr.accept(new ClassVisitor(Opcodes.ASM9, cw) {
            public MethodVisitor visitMethod(int acc, String mn, String d, String s, String[] ex) {
              return new MethodVisitor(Opcodes.ASM9, super.visitMethod(acc, mn, d, s, ex)) {
                public void visitTypeInsn(int op, String t) {
                  if (op == Opcodes.CHECKCAST && t.equals("java/net/URLClassLoader")) {
                    n[0]++;
                    super.visitMethodInsn(Opcodes.INVOKESTATIC, HELPER, "asURLClassLoader",
                        "(Ljava/lang/Object;)Ljava/net/URLClassLoader;", false);
                  } else super.visitTypeInsn(op, t);
                }
                // HIVE-20726: ThriftCLIService.init(HiveConf) stores hive.server2.thrift.bind.host (or env
                // HIVE_SERVER2_THRIFT_BIND_HOST) in a local that shadows the hiveHost field, so binary mode
                // binds the wildcard address. After "this.serverIPAddress = ServerUtils.getHostAddress(hiveHost)"
                // also do "this.hiveHost = hiveHost" (local slot 2, checked against the LocalVariableTable of 3.1.3).
                public void visitFieldInsn(int op, String owner, String fname, String fdesc) {
                  super.visitFieldInsn(op, owner, fname, fdesc);
                  if (THRIFT.equals(cr.getClassName()) && mn.equals("init") && op == Opcodes.PUTFIELD
                      && fname.equals("serverIPAddress")) {
                    n[0]++;
                    super.visitVarInsn(Opcodes.ALOAD, 0);
                    super.visitVarInsn(Opcodes.ALOAD, 2);
                    super.visitFieldInsn(Opcodes.PUTFIELD, THRIFT, "hiveHost", "Ljava/lang/String;");
                  }
                }
                // HIVE-22097: JDK 9+ java.util.ArrayList$SubList has root/offset instead of parent/parentOffset
                public void visitLdcInsn(Object v) {
                  if (SUBLIST.equals(cr.getClassName()) && mn.equals("<init>")) {
                    if ("parent".equals(v)) { n[0]++; v = "root"; }
                    else if ("parentOffset".equals(v)) { n[0]++; v = "offset"; }
                  }
                  super.visitLdcInsn(v);
                }};
            }}, 0);
          if (n[0] == 0) continue;
          done.add(name);
          out.putNextEntry(new ZipEntry(name));
          out.write(cw.toByteArray());
          out.closeEntry();
          System.out.println("patched " + n[0] + " site(s) in " + cr.getClassName() + "  (from " + new File(a[i]).getName() + ")");
        }
      }
      out.putNextEntry(new ZipEntry(HELPER + ".class"));
      out.write(helper());
      out.closeEntry();
    }
  }

  /** public final class Jdk9ClassLoaders { public static URLClassLoader asURLClassLoader(Object o) {
   *    if (o == null || o instanceof URLClassLoader) return (URLClassLoader) o;
   *    return new URLClassLoader(new URL[0], (ClassLoader) o); } } */
  static byte[] helper() {
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      protected String getCommonSuperClass(String t1, String t2) { return "java/lang/Object"; } };
    cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, HELPER, null, "java/lang/Object", null);
    MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "asURLClassLoader",
        "(Ljava/lang/Object;)Ljava/net/URLClassLoader;", null, null);
    mv.visitCode();
    Label ret = new Label();
    mv.visitVarInsn(Opcodes.ALOAD, 0);
    mv.visitJumpInsn(Opcodes.IFNULL, ret);
    mv.visitVarInsn(Opcodes.ALOAD, 0);
    mv.visitTypeInsn(Opcodes.INSTANCEOF, "java/net/URLClassLoader");
    mv.visitJumpInsn(Opcodes.IFNE, ret);
    mv.visitTypeInsn(Opcodes.NEW, "java/net/URLClassLoader");
    mv.visitInsn(Opcodes.DUP);
    mv.visitInsn(Opcodes.ICONST_0);
    mv.visitTypeInsn(Opcodes.ANEWARRAY, "java/net/URL");
    mv.visitVarInsn(Opcodes.ALOAD, 0);
    mv.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/ClassLoader");
    mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/net/URLClassLoader", "<init>", "([Ljava/net/URL;Ljava/lang/ClassLoader;)V", false);
    mv.visitInsn(Opcodes.ARETURN);
    mv.visitLabel(ret);
    mv.visitVarInsn(Opcodes.ALOAD, 0);
    mv.visitTypeInsn(Opcodes.CHECKCAST, "java/net/URLClassLoader");
    mv.visitInsn(Opcodes.ARETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    cw.visitEnd();
    return cw.toByteArray();
  }
}

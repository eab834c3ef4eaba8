import org.objectweb.asm.*;
import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

/**
 * Works around Pig 0.17 plan deserialization failures on Java 9+:
 * java.io.ObjectInputStream (JDK 9+) defers assigning field values until all
 * slots of an object are read, unless a class below the top-most serializable
 * class declares readObject(). Pig's Operator.hashCode() uses mKey, so an
 * Operator reached again through a HashMap while its own fields are still
 * being read NPEs. Adding a trivial readObject(){defaultReadObject();} to each
 * direct subclass of org.apache.pig.impl.plan.Operator restores the Java 8
 * per-slot assignment order. Writes the patched classes into a new jar.
 * usage: java -cp asm.jar PatchPig.java pig-0.17.0.jar out.jar
 */
public class PatchPig {
  static final String OP = "org/apache/pig/impl/plan/Operator";
  public static void main(String[] a) throws Exception {
    try (ZipFile zf = new ZipFile(a[0]);
         ZipOutputStream out = new ZipOutputStream(new FileOutputStream(a[1]))) {
      for (ZipEntry e : Collections.list(zf.entries())) {
        if (!e.getName().endsWith(".class")) continue;
        byte[] b = zf.getInputStream(e).readAllBytes();
        ClassReader cr = new ClassReader(b);
        if (!OP.equals(cr.getSuperName())) continue;
        boolean[] has = {false};
        cr.accept(new ClassVisitor(Opcodes.ASM9) {
          public MethodVisitor visitMethod(int acc, String n, String d, String s, String[] ex) {
            if (n.equals("readObject") && d.equals("(Ljava/io/ObjectInputStream;)V")) has[0] = true;
            return null; }}, ClassReader.SKIP_CODE);
        if (has[0]) { System.out.println("skip (has readObject): " + cr.getClassName()); continue; }
        ClassWriter cw = new ClassWriter(cr, 0);
        cr.accept(new ClassVisitor(Opcodes.ASM9, cw) {
          public void visitEnd() {
            MethodVisitor mv = cv.visitMethod(Opcodes.ACC_PRIVATE, "readObject",
                "(Ljava/io/ObjectInputStream;)V", null,
                new String[]{"java/io/IOException", "java/lang/ClassNotFoundException"});
            mv.visitCode();
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/io/ObjectInputStream", "defaultReadObject", "()V", false);
            mv.visitInsn(Opcodes.RETURN);
            mv.visitMaxs(1, 2);
            mv.visitEnd();
            super.visitEnd(); }}, 0);
        out.putNextEntry(new ZipEntry(e.getName()));
        out.write(cw.toByteArray());
        out.closeEntry();
        System.out.println("patched: " + cr.getClassName());
      }
    }
  }
}

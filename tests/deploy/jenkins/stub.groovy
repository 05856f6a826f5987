// Reads Jenkinsfiles the way Jenkins would begin to: each is compiled to
// Groovy's CONVERSION phase (syntax), then run against a stub of the
// declarative DSL that records every call (pipeline, stage, steps, sh,
// withCredentials, input, post, ...) as a tree instead of doing anything.
// Prints one JSON document: [{file, syntaxError, runError, tree}].
//
//   groovy stub.groovy Jenkinsfile [more files...]
import groovy.json.JsonOutput
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases

abstract class JenkinsStub extends Script {
    Map root = [call: 'root', args: [], children: []]
    List<Map> stack = [root]
    Map envVars = [:]

    // A value the stub cannot know: marked so interpolations show up.
    static String unknown(String name) { "<" + name + ">" }

    def describe(Object a) {
        if (a instanceof GString) return [gstring: true, text: a.toString(), values: a.values.collect { String.valueOf(it) }]
        if (a instanceof Closure) return '<closure>'
        if (a instanceof Map) return a.collectEntries { k, v -> [(String.valueOf(k)): describe(v)] }
        if (a instanceof List) return a.collect { describe(it) }
        if (a == null || a instanceof Number || a instanceof Boolean) return a
        return String.valueOf(a)
    }

    def record(String name, Object[] args) {
        Map node = [call: name, args: args.findAll { !(it instanceof Closure) }.collect { describe(it) }, children: []]
        stack[-1].children << node
        for (a in args) {
            if (a instanceof Closure) {
                stack << node
                try {
                    Closure c = (Closure) a.clone()
                    if (name == 'environment') {
                        // NAME = 'value' assignments land in the pipeline's environment.
                        c.resolveStrategy = Closure.DELEGATE_FIRST
                        c.delegate = envVars
                    }
                    c.call()
                } finally {
                    stack.pop()
                }
            }
        }
        switch (name) {
            case 'checkout': return [GIT_COMMIT: '0123456789abcdef0123456789abcdef01234567', GIT_BRANCH: 'main']
            case 'sh': return ''
            // Credential bindings and other values handed to a step come back
            // as what they were called with, so the step's record shows them.
            default: return [call: name, args: node.args]
        }
    }

    def methodMissing(String name, Object args) {
        record(name, args as Object[])
    }

    def propertyMissing(String name) {
        if (name == 'env') return new EnvStub(owner: this)
        if (envVars.containsKey(name)) return envVars[name]
        return unknown(name)
    }
}

class EnvStub {
    JenkinsStub owner
    def getProperty(String name) {
        owner.envVars.containsKey(name) ? owner.envVars[name] : JenkinsStub.unknown("env." + name)
    }
    void setProperty(String name, Object value) {
        owner.envVars[name] = String.valueOf(value)
    }
}

def results = []
for (path in args) {
    Map result = [file: path, syntaxError: null, runError: null, tree: null]
    String text = new File(path).getText('UTF-8')
    try {
        CompilationUnit cu = new CompilationUnit()
        cu.addSource('Jenkinsfile', text)
        cu.compile(Phases.CONVERSION)
    } catch (Exception e) {
        result.syntaxError = e.message
    }
    if (result.syntaxError == null) {
        CompilerConfiguration cc = new CompilerConfiguration()
        cc.scriptBaseClass = JenkinsStub.name
        GroovyShell shell = new GroovyShell(this.class.classLoader, new Binding(), cc)
        try {
            JenkinsStub script = (JenkinsStub) shell.parse(text, 'Jenkinsfile')
            script.run()
            result.tree = script.root
            result.env = script.envVars
        } catch (Throwable e) {
            result.runError = e.toString()
        }
    }
    results << result
}
println JsonOutput.toJson(results)

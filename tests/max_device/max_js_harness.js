// Runs the device's Max `js` script under node with a mocked Max API, replays a scenario
// and prints what the script did as JSON.
//
// usage: node max_js_harness.js <device script> <scenario.json> [--interactive]
//
// With --interactive the steps come one JSON line at a time on stdin, and each answer is
// one JSON line {"emitted", "posts", "errors", "value"} of what that step did, so a model
// of the patch (tests/max_device/max_world.py) can route outlets, queue deferlow and call
// the script again in Max's order.
//
// The mocks model the parts of Max the script uses, as documented by Cycling '74:
// outlet(), post(), Global, Date.now and Task (on a fake clock), JitterMatrix (with usesrcdim
// copies) and LiveAPI (over a small fake Live Object Model with observers). A scenario is
//   {"seed": n, "instances": n, "lom": {...} | null, "steps": [step, ...]}
// with steps (each may name an "instance": several devices can share one Max, and so
// one Global)
//   {"call": "name", "args": [...]}        send a message to the script
//   {"matrix": {"name", "dim", "data"}}   make a float32 matrix jit.catch~ would output
//   {"advance": ms}                        run the script's Tasks for ms milliseconds
//   {"lom_set": [id, property, value]}     change the LOM and notify observers
//   {"eval": "expression"}                 evaluate in the script's scope, keep the value
// The output is {"emitted": [{"outlet", "atoms", "matrix"?}], "posts", "evals", "errors"}.

"use strict";

const fs = require("fs");
const vm = require("vm");

const [scriptPath, scenarioPath, mode] = process.argv.slice(2);
const scenario = JSON.parse(fs.readFileSync(scenarioPath, "utf8"));
const emitted = [];
const posts = [];
const evals = [];
const errors = [];

// ------------------------------------------------------------------ seeded randomness

function seededRandom(seed) {
    let state = seed >>> 0;
    return function () {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

// ------------------------------------------------------------------ Jitter matrices

const matrices = new Map();
let matrixCount = 0;

class JitterMatrix {
    constructor(...args) {
        if (args.length === 1 && typeof args[0] === "string") {
            const existing = matrices.get(args[0]);
            if (!existing) {
                throw new Error("no matrix named " + args[0]);
            }
            return existing;
        }
        const [planecount, type, ...dim] = args;
        matrixCount += 1;
        this.name = "u" + String(100000 + matrixCount);
        this.planecount = planecount;
        this.type = type;
        this.dim = dim.length === 1 ? dim[0] : dim;
        // Cells in row-major order, the planes of a cell side by side.
        this.data = new Float64Array(dim.reduce((a, b) => a * b, 1) * planecount);
        this.usesrcdim = 0;
        this.srcdimstart = [0, 0];
        this.srcdimend = [0, 0];
        matrices.set(this.name, this);
    }

    get width() {
        return Array.isArray(this.dim) ? this.dim[0] : this.dim;
    }

    getcell(x, y) {
        // One cell: an array with a value per plane.
        const planes = this.planecount;
        const start = (y * this.width + x) * planes;
        return Array.from(this.data.slice(start, start + planes));
    }

    frommatrix(source) {
        // A 2-D region copy, as jit.matrix does with usesrcdim and an equal-size target.
        if (source.planecount !== this.planecount) {
            throw new Error("harness: plane counts differ; planemap is not modelled");
        }
        if (!this.usesrcdim) {
            this.data = Float64Array.from(source.data);
            return;
        }
        const planes = this.planecount;
        const [x0, y0] = this.srcdimstart;
        const [x1, y1] = this.srcdimend;
        if (x1 - x0 + 1 !== this.width || y1 !== y0) {
            throw new Error("harness: only single-row copies of the target's width are modelled");
        }
        for (let x = x0; x <= x1; x++) {
            for (let p = 0; p < planes; p++) {
                this.data[(x - x0) * planes + p] = source.data[(y0 * source.width + x) * planes + p];
            }
        }
    }
}

function makeMatrix(spec) {
    const matrix = new JitterMatrix(spec.planecount || 1, spec.type || "float32", ...spec.dim);
    matrices.delete(matrix.name);
    matrix.name = spec.name;
    matrix.data = Float64Array.from(spec.data);
    matrices.set(spec.name, matrix);
}

// ------------------------------------------------------------------ Tasks on a fake clock

let now = 0;
const tasks = [];

class Task {
    constructor(fn, owner) {
        this.fn = fn;
        this.owner = owner;
        this.interval = 500;
        this.running = false;
        this.next = 0;
        tasks.push(this);
    }

    repeat() {
        this.running = true;
        this.next = now + this.interval;
    }

    cancel() {
        this.running = false;
    }
}

function advance(ms) {
    const end = now + ms;
    for (;;) {
        const due = tasks.filter((t) => t.running && t.next <= end);
        if (due.length === 0) {
            break;
        }
        due.sort((a, b) => a.next - b.next);
        const task = due[0];
        now = task.next;
        task.next += task.interval;
        task.fn.call(task.owner);
    }
    now = end;
}

// ------------------------------------------------------------------ a fake Live Object Model

const lom = scenario.lom;
const observers = [];

function resolve(path) {
    if (lom === null || lom === undefined) {
        throw new Error("LiveAPI is only available inside Live");
    }
    const words = String(path).trim().split(/\s+/);
    let id;
    let rest;
    if (words[0] === "id") {
        id = Number(words[1]);
        rest = words.slice(2);
    } else if (words[0] === "this_device") {
        id = lom.this_device;
        rest = words.slice(1);
    } else {
        const found = Object.keys(lom.objects).find((key) => lom.objects[key].path === path);
        return found === undefined ? 0 : Number(found);
    }
    for (const word of rest) {
        const object = lom.objects[id];
        if (word !== "canonical_parent" || !object) {
            return 0;
        }
        id = object.canonical_parent;
    }
    return lom.objects[id] ? id : 0;
}

class LiveAPI {
    constructor(callback, path) {
        this.callback = callback;
        this.objectId = resolve(path);
        this.observed = "";
    }

    get id() {
        return String(this.objectId);
    }

    get object() {
        return lom.objects[this.objectId];
    }

    get type() {
        return this.object ? this.object.type : "";
    }

    get unquotedpath() {
        return this.object ? this.object.path : "";
    }

    get path() {
        return '"' + this.unquotedpath + '"';
    }

    get(property) {
        const object = this.object;
        if (!object) {
            return [];
        }
        if (property === "canonical_parent") {
            return ["id", object.canonical_parent];
        }
        const value = object.props[property];
        return Array.isArray(value) ? value.slice() : [value];
    }

    set property(name) {
        this.observed = name;
        if (name) {
            observers.push(this);
            this.notify();
        }
    }

    get property() {
        return this.observed;
    }

    notify() {
        if (this.callback && this.observed && this.object) {
            this.callback.call(this, [this.observed].concat(this.get(this.observed)));
        }
    }
}

function lomSet(id, property, value) {
    lom.objects[id].props[property] = value;
    for (const api of observers) {
        if (api.objectId === id && api.observed === property) {
            api.notify();
        }
    }
}

// ------------------------------------------------------------------ Max globals

function outlet(instance, index, ...args) {
    const atoms = args.length === 1 && Array.isArray(args[0]) ? args[0].slice() : args;
    const record = { instance: instance, outlet: index, atoms: atoms };
    if (atoms[0] === "jit_matrix") {
        const matrix = matrices.get(atoms[1]);
        record.matrix = { planecount: matrix.planecount, data: Array.from(matrix.data) };
    }
    emitted.push(record);
}

// Max's Global: one named object shared by every js instance in the application.
const globals = new Map();

function Global(name) {
    if (!globals.has(name)) {
        globals.set(name, {});
    }
    return globals.get(name);
}

// Patcher scripting (this.patcher): objects the script makes are reported as records
// {"instance", "script": [...]} so the patch model can make them too.
function makePatcher(index) {
    const made = new Map();
    let count = 0;
    const named = scenario.named || ["synaesthete_replies"];
    const report = (call) => emitted.push({ instance: index, script: call });
    return {
        newdefault(left, top, ...words) {
            count += 1;
            const object = { scriptid: "script-" + index + "-" + count, varname: "", words };
            made.set(object.scriptid, object);
            report(["newdefault", object.scriptid].concat(words));
            return object;
        },
        connect(from, outlet, to, inlet) {
            report(["connect", from.scriptid || from.varname, outlet, to.scriptid || to.varname, inlet]);
        },
        remove(object) {
            if (!made.has(object.scriptid)) {
                throw new Error("harness: removing an object this script did not make");
            }
            made.delete(object.scriptid);
            report(["remove", object.scriptid]);
        },
        getnamed(name) {
            for (const object of made.values()) {
                if (object.varname === name) {
                    return object;
                }
            }
            return named.indexOf(name) >= 0 ? { varname: name } : null;
        }
    };
}

function makeInstance(index) {
    const instanceMath = Object.create(Math);
    instanceMath.random = seededRandom((scenario.seed || 1) * 7919 + index);
    const sandbox = {
        Math: instanceMath,
    JitterMatrix: JitterMatrix,
    LiveAPI: LiveAPI,
    Task: Task,
        Global: Global,
        Date: { now: () => now },
        outlet: (...args) => outlet(index, ...args),
        post: (...args) => posts.push(args.join(" ")),
        error: (...args) => posts.push("error: " + args.join(" ")),
        messagename: "",
        patcher: makePatcher(index),
        jsarguments: ["synaesthete.js"],
        arrayfromargs: (...args) => Array.prototype.concat.apply([], args.map((a) => Array.from(a)))
    };
    vm.createContext(sandbox);
    vm.runInContext(fs.readFileSync(scriptPath, "utf8"), sandbox, { filename: scriptPath });
    return sandbox;
}

const instances = [];
for (let index = 0; index < (scenario.instances || 1); index++) {
    instances.push(makeInstance(index));
}

function runStep(step) {
    const sandbox = instances[step.instance || 0];
    let value = null;
    try {
        if (step.call !== undefined) {
            const fn = sandbox[step.call];
            if (typeof fn !== "function") {
                throw new Error("the script has no handler " + step.call);
            }
            sandbox.messagename = step.call;
            fn.apply(sandbox, step.args || []);
        } else if (step.matrix !== undefined) {
            makeMatrix(step.matrix);
        } else if (step.advance !== undefined) {
            advance(step.advance);
        } else if (step.lom_set !== undefined) {
            lomSet(step.lom_set[0], step.lom_set[1], step.lom_set[2]);
        } else if (step.eval !== undefined) {
            value = vm.runInContext(step.eval, sandbox);
            evals.push(value);
        } else {
            throw new Error("unknown step " + JSON.stringify(step));
        }
    } catch (exc) {
        errors.push(String(exc && exc.stack ? exc.stack : exc));
    }
    return value;
}

if (mode === "--interactive") {
    const readline = require("readline");
    const lines = readline.createInterface({ input: process.stdin });
    lines.on("line", (line) => {
        const value = runStep(JSON.parse(line));
        const answer = { emitted: emitted.splice(0), posts: posts.splice(0), errors: errors.splice(0), value };
        process.stdout.write(JSON.stringify(answer) + "\n");
    });
} else {
    for (const step of scenario.steps) {
        runStep(step);
    }
    process.stdout.write(JSON.stringify({ emitted, posts, evals, errors }));
}

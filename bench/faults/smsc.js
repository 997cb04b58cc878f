// A scriptable SMSC for `python -m bench.faults`: node's `smpp` package (a peer we did not write)
// on SMPP_PORT, steered over HTTP on CONTROL_PORT.
//   node smsc.js SMPP_PORT CONTROL_PORT
// Prints "READY" once both listen. Control (JSON in, JSON out):
//   POST /mo    {"source", "text"}   an MO message, stored and forwarded to a bound session (as an
//                                    SMSC does: kept until a deliver_sm_resp says the ESME has it)
//   POST /fault {"drop": true}       end every session now (sockets destroyed, no unbind)
//               {"refuse_binds_s": n} answer binds with ESME_RBINDFAIL for n seconds
//               {"throttle_s": n}    answer submit_sm with ESME_RTHROTTLED for n seconds
//               {"hold_s": n}        answer no submit_sm for n seconds (the window fills), then all
//   GET  /submits                    every accepted submit_sm, in order
//   GET  /state                      sessions bound, binds accepted/refused, MOs waiting
'use strict';
const http = require('http');
const path = require('path');
const smpp = require(process.env.SMPP_MODULE || path.join(__dirname, '..', '..', 'tests', 'sms', 'node_smsc', 'node_modules', 'smpp'));

const [smppPort, controlPort] = process.argv.slice(2).map(Number);
const now = () => Date.now() / 1000;
const state = { refuseUntil: 0, throttleUntil: 0, holdUntil: 0, binds: 0, refused: 0, throttled: 0, nextId: 1 };
const sessions = new Set();
const submits = [];
const moWaiting = [];
const held = [];
let moInFlight = 0;

function forwardMo() {
  const bound = [...sessions].filter((s) => s.bound);
  while (moWaiting.length && bound.length) {
    const mo = moWaiting.shift();
    const session = bound[mo.seq % bound.length];
    moInFlight += 1;
    let answered = false;
    const giveBack = () => { if (!answered) { answered = true; moInFlight -= 1; moWaiting.unshift(mo); } };
    session.once('close', giveBack);
    session.deliver_sm({
      source_addr: mo.source, source_addr_ton: 1, source_addr_npi: 1,
      destination_addr: '94444', dest_addr_ton: 3, dest_addr_npi: 0,
      short_message: mo.text,
    }, function (pdu) {
      if (answered) return;
      answered = true;
      moInFlight -= 1;
      session.removeListener('close', giveBack);
      if (pdu.command_status !== 0) moWaiting.push(mo); // the ESME could not take it: later
    });
  }
}
setInterval(forwardMo, 200);

function answerHeld() {
  if (now() < state.holdUntil) return;
  while (held.length) {
    const { session, pdu } = held.shift();
    if (session.bound) accept(session, pdu);
  }
}
setInterval(answerHeld, 100);

function accept(session, pdu) {
  const id = `n${state.nextId++}`;
  submits.push({
    destination_addr: pdu.destination_addr, esm_class: pdu.esm_class, data_coding: pdu.data_coding,
    text: String(pdu.short_message.message),
    udh: pdu.short_message.udh ? Buffer.concat(pdu.short_message.udh.map((u) => Buffer.from(u))).toString('hex') : null,
    message_id: id, at: now(),
  });
  session.send(pdu.response({ message_id: id }));
}

const server = smpp.createServer(function (session) {
  sessions.add(session);
  session.on('error', function () {});
  session.on('close', function () { sessions.delete(session); });
  session.on('bind_transceiver', function (pdu) {
    if (now() < state.refuseUntil) {
      state.refused += 1;
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      session.close();
      return;
    }
    state.binds += 1;
    session.bound = true;
    session.send(pdu.response());
  });
  session.on('enquire_link', function (pdu) { session.send(pdu.response()); });
  session.on('unbind', function (pdu) { session.send(pdu.response()); session.close(); });
  session.on('submit_sm', function (pdu) {
    if (now() < state.throttleUntil) {
      state.throttled += 1;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    if (now() < state.holdUntil) { held.push({ session, pdu }); return; }
    accept(session, pdu);
  });
});

function json(response, code, body) {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

const control = http.createServer(function (request, response) {
  let raw = '';
  request.on('data', (chunk) => { raw += chunk; });
  request.on('end', function () {
    const body = raw ? JSON.parse(raw) : {};
    if (request.method === 'POST' && request.url === '/mo') {
      moWaiting.push({ source: body.source, text: body.text, seq: submits.length + moWaiting.length });
      forwardMo();
      return json(response, 200, { queued: true });
    }
    if (request.method === 'POST' && request.url === '/fault') {
      if (body.drop) for (const s of [...sessions]) { s.bound = false; if (s.socket) s.socket.destroy(); }
      if (body.refuse_binds_s) state.refuseUntil = now() + body.refuse_binds_s;
      if (body.throttle_s) state.throttleUntil = now() + body.throttle_s;
      if (body.hold_s) state.holdUntil = now() + body.hold_s;
      return json(response, 200, { ok: true });
    }
    if (request.url === '/submits') return json(response, 200, { submits });
    if (request.url === '/state') {
      return json(response, 200, {
        bound: [...sessions].filter((s) => s.bound).length, binds: state.binds, refused: state.refused,
        throttled: state.throttled, mo_waiting: moWaiting.length + moInFlight, held: held.length,
      });
    }
    json(response, 404, { error: 'unknown' });
  });
});

server.listen(smppPort, '127.0.0.1', function () {
  control.listen(controlPort, '127.0.0.1', function () { console.log('READY'); });
});

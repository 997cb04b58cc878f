// A node SMPP server (the `smpp` npm package) that checks credentials, for the SMS channel tests.
//   node server.js PORT SYSTEM_ID PASSWORD
// Prints "READY" once listening, then one JSON line per bind attempt. A bind with other
// credentials is refused with ESME_RINVPASWD (what an operator's SMSC answers to a wrong password).
'use strict';
const smpp = require('smpp');

const [port, systemId, password] = process.argv.slice(2);

const server = smpp.createServer(function (session) {
  session.on('error', function () {});
  session.on('bind_transceiver', function (pdu) {
    const ok = pdu.system_id === systemId && pdu.password === password;
    console.log(JSON.stringify({ event: 'bind', system_id: pdu.system_id, accepted: ok, at: Date.now() }));
    if (!ok) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      session.close();
      return;
    }
    session.send(pdu.response());
  });
  session.on('enquire_link', function (pdu) {
    session.send(pdu.response());
  });
  session.on('unbind', function (pdu) {
    session.send(pdu.response());
    session.close();
  });
});

server.listen(Number(port), '127.0.0.1', function () {
  console.log('READY');
});

/* agent.h - `mqtree-node --join ENDPOINT`: a host's agent. It joins a control node started
 * with --listen, over CURVE with this host's key pair, and from then on starts compute nodes
 * on this host when the control asks (MSG_SPAWN), ends them when told (MSG_KILL), and
 * reports their end (MSG_LOST). The nodes it starts end when it does. It stays up when the
 * control goes, and joins again when a control listens there again. */
#ifndef MQTREE_AGENT_H
#define MQTREE_AGENT_H

struct agent_options {
	const char *endpoint;	/* the control's --listen, as tcp://ADDR:PORT */
	const char *key_file;	/* this host's key pair (mqtree-node keygen) */
	const char *control_key;	/* the control host's public key, or its .pub file */
	const char *name;	/* this host's name in `hosts` (default: the host name) */
	const char *address;	/* where its nodes listen for children on other hosts (default:
				 * the address this host reaches the control from) */
	int timeout_ms;		/* silence that ends the link to the control */
};

/* Runs the agent until it is told to end (SIGTERM, SIGINT) or refused; its exit status. */
int agent_run(const struct agent_options *o);

#endif

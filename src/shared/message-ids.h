/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* MESSAGE_ID= values of the journal entries operators search for. Each one is documented in
 * catalog/openmono.catalog, where journalctl -x finds the explanation; test-message-ids checks
 * that every ID here has exactly one catalog entry. Use them as "MESSAGE_ID=" OPENMONO_MESSAGE_X.
 * An ID, once shipped, never changes meaning: add a new one instead. */

/* The controller's own lifecycle and its clients. */
#define OPENMONO_MESSAGE_CONTROLLER_STARTED "33dc00367e144f85b1bb77f78f705025"
#define OPENMONO_MESSAGE_CONTROLLER_STOPPED "8eb3c34ec3d447bca006d733cdc6d816"
#define OPENMONO_MESSAGE_CONFIG_ERROR "5a6092da7350440a902de275e09f2571"
#define OPENMONO_MESSAGE_CONNECTION_REFUSED "c4eb51eb0f364b9499d6a8fe6c7636e1"
#define OPENMONO_MESSAGE_PERMISSION_DENIED "391bff97131441f6ad371d7f56f0810f"

/* Sessions. */
#define OPENMONO_MESSAGE_SESSION_STARTED "d60b362e3a9843ec855035cd85fa11fd"
#define OPENMONO_MESSAGE_SESSION_STOPPED "d1ec7d1ed3564125897a01101c59c0e4"
#define OPENMONO_MESSAGE_SESSION_START_FAILED "de98a56519944e8c8ba133582c190d38"

/* Projects. */
#define OPENMONO_MESSAGE_PROJECT_ADDED "4e5a3e2625dc4f34a21fba5ae038870b"
#define OPENMONO_MESSAGE_PROJECT_CHANGED "82bc961558554e319e3b823abbdc4fb6"
#define OPENMONO_MESSAGE_PROJECT_REMOVED "efe6f72f2c1648b4a9ca75198670019b"

/* Secrets. */
#define OPENMONO_MESSAGE_SECRET_SET "137a1475c4374426869f840abc6b798d"
#define OPENMONO_MESSAGE_SECRET_DELETED "9d6875fe5d3e416bb411df502ce6af78"
#define OPENMONO_MESSAGE_SECRET_DELIVERED "92592984e1584d0b93ffda4043e0d1b6"

/* Scheduled jobs. */
#define OPENMONO_MESSAGE_CRON_JOB_ADDED "e640b7f3ed8d4e4aaa988e60b3f9f760"
#define OPENMONO_MESSAGE_CRON_JOB_REMOVED "dca8835aa33142f4b3ecfac6077b47f6"
#define OPENMONO_MESSAGE_CRON_JOB_CHANGED "7ad8882dab2140e28acdfdf75c445b58"
#define OPENMONO_MESSAGE_CRON_RUN_FINISHED "8793f47a11804cf98ead5d813cc3a8c2"

/* Session policies turned into unit properties. */
#define OPENMONO_MESSAGE_POLICY_APPLIED "433af497575a46bfb268a52256f5f704"

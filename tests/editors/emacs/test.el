;;; test.el --- portos-lsp in Emacs with eglot, in batch mode  -*- lexical-binding: t; -*-

;; A real-editor test of editors/emacs/portos-lsp.el, the README's Emacs set-up. run.sh runs it as
;;
;;   PATH=dir-with-portos-lsp:$PATH PORTOS_EMACS_CLI=cli.txt PORTOS_EMACS_CHECKS=checks.txt \
;;   PORTOS_EMACS_SCRATCH=/tmp/dir emacs --batch -Q -l tests/editors/emacs/test.el
;;
;; It activates the installed packages as a normal start-up does (eglot comes from Debian's elpa-eglot on
;; Emacs 28), loads portos-lsp.el, checks which file names get `portos-ecosystem-mode', opens the example legacy
;; app's ecosystem file, lets eglot start `portos-lsp serve' and waits until flymake shows the diagnostics
;; `portos-lsp check' finds (PORTOS_EMACS_CLI, one `LINE:COL SEVERITY CODE' a line). Writes one `ok - ...' or
;; `FAIL - ...' line per check to PORTOS_EMACS_CHECKS (run.sh counts them; a crash leaves the file short).

;;; Code:

(require 'cl-lib)
(require 'subr-x)

(defvar portos-test-lines nil "The check lines, newest first.")
(defvar portos-test-started (float-time))

(defun portos-test-check (ok what &optional why)
  "Record the check WHAT as passed when OK, else as failed with WHY."
  (push (if ok (concat "ok - " what) (concat "FAIL - " what (if why (concat ": " why) ""))) portos-test-lines)
  (princ (format "%s %s\n" (if ok "ok" "FAIL") what))
  ok)

(defun portos-test-write ()
  "Write the check lines to PORTOS_EMACS_CHECKS."
  (with-temp-file (or (getenv "PORTOS_EMACS_CHECKS") "/dev/stdout")
    (dolist (line (reverse portos-test-lines))
      (insert line "\n"))))

(defun portos-test-wait (pred seconds)
  "Run the event loop's work (process output, timers, post-command-hook) until PRED holds or SECONDS pass."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      ;; Batch mode has no command loop: eglot-ensure and flymake wait for a command to end.
      (run-hooks 'post-command-hook))
    (funcall pred)))

(defun portos-test-mode-for (file)
  "The major mode Emacs picks for FILE by its name."
  (with-temp-buffer
    (setq buffer-file-name file)
    (set-auto-mode)
    major-mode))

(defun portos-test-cli (variable)
  "The `LINE:COL SEVERITY CODE' lines of the file the environment VARIABLE names, sorted, eglot's way."
  (with-temp-buffer
    (insert-file-contents (getenv variable))
    ;; eglot shows information and hints alike, as notes.
    (sort (mapcar (lambda (line)
                    (replace-regexp-in-string " \\(information\\|hint\\) " " note " line))
                  (split-string (buffer-string) "\n" t))
          #'string<)))

(defun portos-test-shown ()
  "Flymake's diagnostics in the current buffer, as sorted `LINE:COL SEVERITY CODE' strings."
  (sort (mapcar (lambda (d)
                  (let* ((beg (flymake-diagnostic-beg d))
                         (text (flymake-diagnostic-text d))
                         (code (and (string-match "\\[\\([a-z0-9-]+\\)\\]" text) (match-string 1 text)))
                         (type (pcase (flymake-diagnostic-type d)
                                 ('eglot-error "error") ('eglot-warning "warning") ('eglot-note "note")
                                 (other (format "%s" other)))))
                    (save-excursion
                      (goto-char beg)
                      (format "%d:%d %s %s" (line-number-at-pos) (1+ (current-column)) type code))))
                (flymake-diagnostics))
        #'string<))

(defun portos-test-run ()
  "The checks."
  (let* ((repo (expand-file-name "../../../" (file-name-directory load-file-name)))
         (scratch (file-name-as-directory (or (getenv "PORTOS_EMACS_SCRATCH") (make-temp-file "portos" t))))
         (workspace (expand-file-name "examples/workspace/" repo))
         (file (expand-file-name "legacy/ecosystem.config.cjs" workspace))
         (yaml-file (expand-file-name "workers/ecosystem.yml" workspace))
         (cli (portos-test-cli "PORTOS_EMACS_CLI"))
         (cli-yaml (portos-test-cli "PORTOS_EMACS_CLI_YAML")))
    (package-activate-all) ; an interactive start-up activates the installed packages, batch mode does not
    (portos-test-check (locate-library "eglot") "eglot is installed" (format "load-path: %S" load-path))
    (load (expand-file-name "editors/emacs/portos-lsp.el" repo) nil t)
    (portos-test-check (featurep 'portos-lsp) "portos-lsp.el loads and provides portos-lsp")
    (portos-test-check (eq (get 'portos-ecosystem-mode 'derived-mode-parent) 'js-mode)
                       "portos-ecosystem-mode is derived from js-mode")

    ;; File names: the ecosystem names get the mode, other JavaScript does not.
    (dolist (name '("ecosystem.config.js" "ecosystem.config.cjs" "ecosystem.config.mjs" "ecosystem.prod.config.js"
                    "ecosystem.staging.eu.config.cjs" "pm2.config.js" "pm2.config.cjs" "pm2.config.mjs"))
      (let ((mode (portos-test-mode-for (concat scratch "app/" name))))
        (portos-test-check (eq mode 'portos-ecosystem-mode) (format "%s opens in portos-ecosystem-mode" name)
                           (format "%s" mode))))
    ;; (Emacs drops backup suffixes such as .bak and ~ before it looks, as for every mode.)
    (dolist (name '("server.js" "index.mjs" "ecosystem.js" "ecosystem..config.js" "my-ecosystem.config.js"
                    "ecosystem.config.ts" "ecosystem.config.json" "webpack.config.js"))
      (let ((mode (portos-test-mode-for (concat scratch "app/" name))))
        (portos-test-check (not (eq mode 'portos-ecosystem-mode)) (format "%s does not (%s)" name mode))))
    (portos-test-check (memq (portos-test-mode-for (concat scratch "server.js")) '(js-mode javascript-mode))
                       "server.js still opens in js-mode")
    ;; PM2's JSON and YAML files: their own modes; other JSON and YAML keep theirs.
    (dolist (case '(("ecosystem.json" . portos-ecosystem-json-mode) ("ecosystem.config.json5" . portos-ecosystem-json-mode)
                    ("pm2.json" . portos-ecosystem-json-mode) ("process.json" . portos-ecosystem-json-mode)
                    ("processes.json" . portos-ecosystem-json-mode) ("ecosystem.yml" . portos-ecosystem-yaml-mode)
                    ("ecosystem-staging.yaml" . portos-ecosystem-yaml-mode) ("pm2.yaml" . portos-ecosystem-yaml-mode)))
      (let ((mode (portos-test-mode-for (concat scratch "app/" (car case)))))
        (portos-test-check (eq mode (cdr case)) (format "%s opens in %s" (car case) (cdr case)) (format "%s" mode))))
    (dolist (name '("package.json" "tsconfig.json" "docker-compose.yml" "my-ecosystem.yaml"))
      (let ((mode (portos-test-mode-for (concat scratch "app/" name))))
        (portos-test-check (not (memq mode '(portos-ecosystem-json-mode portos-ecosystem-yaml-mode)))
                           (format "%s does not (%s)" name mode))))

    ;; The example legacy app: eglot starts portos-lsp on opening it, and flymake shows what check finds.
    (find-file file)
    (portos-test-check (eq major-mode 'portos-ecosystem-mode) "legacy/ecosystem.config.cjs opens in portos-ecosystem-mode"
                       (format "%s" major-mode))
    (portos-test-check (featurep 'eglot) "opening it loads eglot (portos-ecosystem-mode-hook runs eglot-ensure)")
    (portos-test-check (equal (nth 2 (eglot--lookup-mode 'portos-ecosystem-mode)) '("portos-lsp" "serve"))
                       "eglot-server-programs runs portos-lsp serve for portos-ecosystem-mode"
                       (format "%S" (eglot--lookup-mode 'portos-ecosystem-mode)))
    (portos-test-check (portos-test-wait (lambda () (eglot-current-server)) 15)
                       "eglot connects to portos-lsp within 15 s")
    (when-let ((server (eglot-current-server)))
      (portos-test-check (equal (project-root (eglot--project server)) workspace)
                         "the server's workspace is examples/workspace (it holds portos-lsp.toml)"
                         (project-root (eglot--project server)))
      (portos-test-check (and (> (length cli) 0) (cl-some (lambda (l) (string-match-p " error " l)) cli))
                         "the command line finds errors in the file (the test needs one)")
      (portos-test-wait (lambda () (equal (portos-test-shown) cli)) 20)
      (let ((shown (portos-test-shown)))
        (portos-test-check (equal shown cli) "flymake shows the diagnostics `portos-lsp check' finds, at its places"
                           (format "shown %S, check finds %S" shown cli))
        (let ((duplicate (cl-find-if (lambda (d) (string-match-p "\\[duplicate-port\\]" (flymake-diagnostic-text d)))
                                     (flymake-diagnostics))))
          (portos-test-check (and duplicate (string-prefix-p "portos-lsp [duplicate-port]: port 5574"
                                                             (flymake-diagnostic-text duplicate)))
                             "the duplicate-port diagnostic reads `portos-lsp [duplicate-port]: port 5574 ...'"
                             (and duplicate (flymake-diagnostic-text duplicate)))
          (when duplicate
            (princ (format "a diagnostic as Emacs shows it: %s\n" (flymake-diagnostic-text duplicate))))))

      ;; The example's YAML ecosystem file: the same server, and flymake shows what check finds there too.
      (find-file yaml-file)
      (portos-test-check (eq major-mode 'portos-ecosystem-yaml-mode) "workers/ecosystem.yml opens in portos-ecosystem-yaml-mode"
                         (format "%s" major-mode))
      (portos-test-check (portos-test-wait (lambda () (eq (eglot-current-server) server)) 15)
                         "eglot manages it with the same portos-lsp server")
      (portos-test-check (cl-some (lambda (l) (string-match-p " error instances-port-clash" l)) cli-yaml)
                         "the command line finds the YAML file's instances-port-clash (the test needs it)"
                         (format "%S" cli-yaml))
      ;; Batch mode has no window changes or commands to start flymake's deferred first run: start it.
      (portos-test-wait (lambda ()
                          (unless (flymake-running-backends) (flymake-start))
                          (equal (portos-test-shown) cli-yaml))
                        20)
      (portos-test-check (equal (portos-test-shown) cli-yaml)
                         "flymake shows the YAML file's diagnostics `portos-lsp check' finds, at its places"
                         (format "shown %S, check finds %S" (portos-test-shown) cli-yaml))

      ;; A plain JavaScript file beside it gets no portos-lsp.
      (find-file (concat scratch "server.js"))
      (portos-test-wait (lambda () nil) 0.3)
      (portos-test-check (null (eglot-current-server)) "server.js gets no eglot server")

      (let ((process (jsonrpc--process server)))
        (eglot-shutdown server)
        (portos-test-check (portos-test-wait (lambda () (not (process-live-p process))) 5)
                           "eglot-shutdown ends the server process")))
    (princ (format "the Emacs test took %d ms\n" (round (* 1000 (- (float-time) portos-test-started)))))))

(condition-case err
    (portos-test-run)
  (error (portos-test-check nil "test.el ran" (format "%S" err))))
(portos-test-write)
(kill-emacs 0)

;;; test.el ends here

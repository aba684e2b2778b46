-- Shared by the Neovim check scripts (check.lua, lsp_config.lua, test_0_11.lua): `local checks =
-- dofile(here .. '/checks.lua')`. Each check is one `ok - …` or `FAIL - …` line; `checks.finish()` writes them
-- to PORTOS_NVIM_CHECKS (run.sh counts them: Neovim's exit code is not trusted) and quits Neovim.

local M = { lines = {}, suffix = '' }

M.severity_names = { 'error', 'warning', 'information', 'hint' }

-- `suffix` goes after every check's name (the Neovim version, where two Neovims run one script).
function M.with_version()
  local v = vim.version()
  M.suffix = ' (Neovim ' .. tostring(v.major) .. '.' .. v.minor .. '.' .. v.patch .. ')'
end

function M.check(ok, what, why)
  what = what .. M.suffix
  if ok then
    table.insert(M.lines, 'ok - ' .. what)
  else
    table.insert(M.lines, 'FAIL - ' .. what .. (why and (': ' .. why) or ''))
  end
  return ok
end

-- A file's text, or nil when it cannot be read.
function M.read(path)
  local f = path and io.open(path, 'r')
  if not f then
    return nil
  end
  local text = f:read('*a')
  f:close()
  return text
end

-- Runs `run`, checks that it ran without an error (`name` ran), writes the lines and quits.
function M.finish(run, name)
  local ok, err = xpcall(run, debug.traceback)
  M.check(ok, name .. ' ran', tostring(err))
  local out = io.open(os.getenv('PORTOS_NVIM_CHECKS') or '/dev/stdout', 'w')
  out:write(table.concat(M.lines, '\n'), '\n')
  out:close()
  vim.cmd('qa!')
end

return M
